//! The PostgreSQL backend: a shared zoo that a team and its scoring workers use at once.
//!
//! A store location that starts with `postgres://` or `postgresql://` selects it (see
//! [`is_url`]). The same statements as on SQLite run here through [`Sql`]; this module only
//! binds [`Value`]s, reads rows back, keeps prepared statements per connection and pools
//! connections per URL.
//!
//! The pool is a few lines of our own rather than `r2d2`: r2d2 reports a refused connection
//! (wrong password, no such database) only after its whole wait times out, and then without
//! the server's message; here a failed connect returns the server's error at once, and a
//! connection goes back to the pool when its store is dropped, unless it broke.

use crate::sql::{to_dollar, Dialect, Row, Sql, Value};
use crate::StoreError;
use bytes::BytesMut;
use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use postgres::{Client, IsolationLevel, NoTls, Statement};
use std::collections::HashMap;
use std::error::Error;
use std::sync::{Mutex, OnceLock};

type BoxError = Box<dyn Error + Sync + Send>;

/// Whether a store location names a PostgreSQL database rather than an SQLite file.
pub fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// The URL with its password, if any, replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some((a, h)) => (a, h),
        None => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// Key under which every writer serialises (`pg_advisory_xact_lock`): imports compute
/// "new / updated / unchanged" from what they read, which is only right if no other import
/// commits in between. Readers never wait for it.
const WRITE_LOCK: i64 = 0x7a6f_6f72_616e_6b00; // "zoorank\0"

/// Idle connections per URL.
fn idle() -> &'static Mutex<HashMap<String, Vec<Client>>> {
    static IDLE: OnceLock<Mutex<HashMap<String, Vec<Client>>>> = OnceLock::new();
    IDLE.get_or_init(Default::default)
}

/// At most this many idle connections are kept per URL.
const MAX_IDLE: usize = 8;

/// One pooled connection and its prepared statements.
pub(crate) struct Pg {
    url: String,
    client: Option<Client>,
    statements: HashMap<String, Statement>,
}

impl std::fmt::Debug for Pg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pg")
            .field("url", &redact(&self.url))
            .finish()
    }
}

impl Pg {
    /// A connection to `url`: an idle one from the pool, else a new one.
    pub(crate) fn connect(url: &str) -> Result<Pg, StoreError> {
        let pooled = {
            let mut idle = idle().lock().unwrap_or_else(|p| p.into_inner());
            idle.get_mut(url).and_then(Vec::pop)
        };
        let client = match pooled {
            Some(c) if !c.is_closed() => c,
            _ => Client::connect(url, NoTls).map_err(|e| StoreError::Connect {
                url: redact(url),
                message: pg_message(&e),
            })?,
        };
        Ok(Pg {
            url: url.to_string(),
            client: Some(client),
            statements: HashMap::new(),
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Runs `f` in a read-only snapshot (REPEATABLE READ): every statement sees the same
    /// committed state.
    pub(crate) fn read<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.in_transaction(true, false, f)
    }

    /// Runs `f` in one transaction and commits it: all of it or nothing. With `lock`, the
    /// transaction first takes the store's write lock (imports); without, it relies on row
    /// locks alone (the job queue, where workers must not wait for each other).
    pub(crate) fn write<T>(
        &mut self,
        lock: bool,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.in_transaction(false, lock, f)
    }

    fn in_transaction<T>(
        &mut self,
        read_only: bool,
        lock: bool,
        f: impl FnOnce(&mut dyn Sql) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let Pg {
            client, statements, ..
        } = self;
        let client = client
            .as_mut()
            .expect("a Pg holds its client until dropped");
        let mut tx = client.build_transaction();
        if read_only {
            tx = tx
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true);
        }
        let mut db = PgTx {
            tx: tx.start()?,
            statements,
        };
        if lock {
            db.execute(
                "SELECT pg_advisory_xact_lock(?1)",
                &[Value::Int(WRITE_LOCK)],
            )?;
        }
        let v = f(&mut db)?;
        db.tx.commit()?;
        Ok(v)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        // Prepared statements belong to the connection; drop them before it is reused.
        self.statements.clear();
        if let Some(client) = self.client.take() {
            if client.is_closed() {
                return;
            }
            let mut idle = idle().lock().unwrap_or_else(|p| p.into_inner());
            let v = idle.entry(self.url.clone()).or_default();
            if v.len() < MAX_IDLE {
                v.push(client);
            }
        }
    }
}

/// The server's own message for an error (its `DETAIL` too), or the client's.
pub(crate) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        None => match e.source() {
            Some(s) => s.to_string(),
            None => e.to_string(),
        },
    }
}

struct PgTx<'a> {
    tx: postgres::Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PgTx<'_> {
    fn prepared(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.tx.prepare(&to_dollar(sql))?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }
}

fn bind(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Sql for PgTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let st = self.prepared(sql)?;
        Ok(self.tx.execute(&st, &bind(params))?)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let st = self.prepared(sql)?;
        let rows = self.tx.query(&st, &bind(params))?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<_, Value>(i).map_err(StoreError::from))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Row)
            })
            .collect()
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.tx.batch_execute(sql)?;
        Ok(())
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT8 => v.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                _ => Err(format!("an integer bound to a {ty} parameter").into()),
            },
            Value::Real(v) => match *ty {
                Type::FLOAT8 => v.to_sql(ty, out),
                Type::FLOAT4 => (*v as f32).to_sql(ty, out),
                _ => Err(format!("a number bound to a {ty} parameter").into()),
            },
            Value::Text(v) => v.as_str().to_sql(ty, out),
            Value::Blob(v) => v.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Value {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Value, BoxError> {
        Ok(match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(Vec::<u8>::from_sql(ty, raw)?),
            _ if <String as FromSql>::accepts(ty) => Value::Text(String::from_sql(ty, raw)?),
            _ => return Err(format!("a {ty} column, which the store never reads").into()),
        })
    }

    fn from_sql_null(_: &Type) -> Result<Value, BoxError> {
        Ok(Value::Null)
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_told_from_paths_and_passwords_never_shown() {
        assert!(is_url("postgres://root@127.0.0.1/test"));
        assert!(is_url("postgresql://u:p@h:5432/db"));
        assert!(!is_url("zoorank.db"));
        assert!(!is_url("/tmp/postgres://x"));
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }
}
