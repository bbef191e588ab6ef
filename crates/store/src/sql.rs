//! The small SQL surface the store is written against, so that one body of store logic runs
//! on both backends: SQLite (the embedded default) and PostgreSQL (a shared zoo).
//!
//! Statements are written once, in the subset both engines accept, with numbered `?N`
//! placeholders; the PostgreSQL side rewrites them to `$N`. Values cross the boundary as
//! [`Value`], and only ever as bound parameters: no statement is built from user input.

use crate::StoreError;

/// A bound parameter or a column value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// `impl From<$t> for Value`, each converting its argument `$v` to `$value`.
macro_rules! value_from {
    ($($t:ty => |$v:ident| $value:expr),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from($v: $t) -> Value {
                $value
            }
        })*
    };
}

value_from! {
    i64 => |v| Value::Int(v),
    f64 => |v| Value::Real(v),
    &str => |v| Value::Text(v.to_string()),
    String => |v| Value::Text(v),
    &String => |v| Value::Text(v.clone()),
    &[u8] => |v| Value::Blob(v.to_vec()),
    Vec<u8> => |v| Value::Blob(v),
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl From<&Option<String>> for Value {
    fn from(v: &Option<String>) -> Value {
        v.as_deref().map_or(Value::Null, Value::from)
    }
}

/// Parameters for a statement: `params![a, b, c]`.
macro_rules! params {
    ($($v:expr),* $(,)?) => {
        &[$($crate::sql::Value::from($v)),*][..]
    };
}
pub(crate) use params;

/// One result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row(pub(crate) Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> &Value {
        self.0.get(i).unwrap_or(&Value::Null)
    }

    fn wrong(&self, i: usize, want: &str) -> StoreError {
        StoreError::Corrupt {
            table: "query",
            column: "result",
            message: format!("column {i}: expected {want}, found {:?}", self.at(i)),
        }
    }

    /// Column `i` as a `T`, `None` when NULL; any other type is corruption.
    fn opt_of<T: FromValue>(&self, i: usize) -> Result<Option<T>, StoreError> {
        match self.at(i) {
            Value::Null => Ok(None),
            v => T::from_value(v)
                .map(Some)
                .ok_or_else(|| self.wrong(i, T::WHAT)),
        }
    }

    /// Column `i` as a `T`, which must not be NULL.
    fn of<T: FromValue>(&self, i: usize) -> Result<T, StoreError> {
        self.opt_of(i)?.ok_or_else(|| self.wrong(i, T::WHAT))
    }

    pub(crate) fn int(&self, i: usize) -> Result<i64, StoreError> {
        self.of(i)
    }

    pub(crate) fn real(&self, i: usize) -> Result<f64, StoreError> {
        self.of(i)
    }

    pub(crate) fn opt_real(&self, i: usize) -> Result<Option<f64>, StoreError> {
        self.opt_of(i)
    }

    pub(crate) fn text(&self, i: usize) -> Result<String, StoreError> {
        self.of(i)
    }

    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        self.opt_of(i)
    }

    pub(crate) fn opt_blob(&self, i: usize) -> Result<Option<Vec<u8>>, StoreError> {
        self.opt_of(i)
    }
}

/// A Rust type a result column is read as ([`Row`]'s accessors).
trait FromValue: Sized {
    /// What the column should hold, for the corruption message.
    const WHAT: &'static str;
    /// The value as `Self`, `None` when it is another type (NULL included).
    fn from_value(v: &Value) -> Option<Self>;
}

impl FromValue for i64 {
    const WHAT: &'static str = "an integer";
    fn from_value(v: &Value) -> Option<i64> {
        match v {
            Value::Int(v) => Some(*v),
            _ => None,
        }
    }
}

impl FromValue for f64 {
    const WHAT: &'static str = "a number";
    fn from_value(v: &Value) -> Option<f64> {
        match v {
            Value::Real(v) => Some(*v),
            // SQLite hands back a REAL column's whole numbers as stored (e.g. `30`) when they
            // were written as integers.
            Value::Int(v) => Some(*v as f64),
            _ => None,
        }
    }
}

impl FromValue for String {
    const WHAT: &'static str = "text";
    fn from_value(v: &Value) -> Option<String> {
        match v {
            Value::Text(v) => Some(v.clone()),
            _ => None,
        }
    }
}

impl FromValue for Vec<u8> {
    const WHAT: &'static str = "bytes";
    fn from_value(v: &Value) -> Option<Vec<u8>> {
        match v {
            Value::Blob(v) => Some(v.clone()),
            _ => None,
        }
    }
}

/// Which engine runs the statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
}

/// A connection inside a transaction: the store's only way to the data.
pub(crate) trait Sql {
    /// Runs a statement; returns the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query; returns every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
    /// Runs several `;`-separated statements without parameters (schema steps).
    fn batch(&mut self, sql: &str) -> Result<(), StoreError>;
    /// The engine behind it.
    fn dialect(&self) -> Dialect;

    /// The first row of a query, if any.
    fn query_opt(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The one row of a query that always returns one (an aggregate, `RETURNING`).
    fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Row, StoreError> {
        self.query_opt(sql, params)?
            .ok_or_else(|| StoreError::Corrupt {
                table: "query",
                column: "result",
                message: format!(
                    "no row from: {}",
                    sql.split_whitespace().collect::<Vec<_>>().join(" ")
                ),
            })
    }

    /// Inserts many rows into `table` with a few multi-row statements (one round trip per
    /// chunk instead of one per row: what makes a large import fast on a networked server).
    /// `table` and `columns` are the store's own constant names, never user input; the
    /// values are bound parameters.
    fn insert_many(
        &mut self,
        table: &'static str,
        columns: &'static [&'static str],
        rows: &[Vec<Value>],
    ) -> Result<(), StoreError> {
        // SQLite binds at most 32,766 parameters a statement, PostgreSQL 65,535.
        const MAX_PARAMS: usize = 30_000;
        let per = (MAX_PARAMS / columns.len().max(1)).clamp(1, 1_000);
        for chunk in rows.chunks(per) {
            let sql = insert_sql(table, columns, chunk.len());
            let flat: Vec<Value> = chunk.iter().flat_map(|r| r.iter().cloned()).collect();
            self.execute(&sql, &flat)?;
        }
        Ok(())
    }
}

/// `INSERT INTO table (a, b) VALUES (?1, ?2), (?3, ?4), ...` for `n` rows.
fn insert_sql(table: &str, columns: &[&str], n: usize) -> String {
    let k = columns.len();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    for r in 0..n {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..k {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("?{}", r * k + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Rewrites `?N` placeholders to PostgreSQL's `$N`. The store's statements hold no string
/// literal with a `?` in it, so a plain scan is exact.
pub(crate) fn to_dollar(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// The store's SQLite connection (or transaction, through its `Deref`).
pub(crate) struct Lite<'a>(pub(crate) &'a rusqlite::Connection);

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(*v),
            Value::Real(v) => ValueRef::Real(*v),
            Value::Text(v) => ValueRef::Text(v.as_bytes()),
            Value::Blob(v) => ValueRef::Blob(v),
        }))
    }
}

fn lite_value(v: rusqlite::types::ValueRef<'_>) -> Result<Value, StoreError> {
    use rusqlite::types::ValueRef;
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t)
                .map_err(|e| StoreError::Corrupt {
                    table: "query",
                    column: "result",
                    message: format!("text that is not UTF-8: {e}"),
                })?
                .to_string(),
        ),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    })
}

impl Sql for Lite<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        Ok(st.execute(rusqlite::params_from_iter(params.iter()))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut v = Vec::with_capacity(n);
            for i in 0..n {
                v.push(lite_value(r.get_ref(i)?)?);
            }
            out.push(Row(v));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.0.execute_batch(sql)?;
        Ok(())
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_and_nothing_else_changes() {
        assert_eq!(
            to_dollar("SELECT a FROM t WHERE b = ?1 AND c = ?12 || '#'"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 || '#'"
        );
        assert_eq!(to_dollar("what? no"), "what? no");
    }

    #[test]
    fn multi_row_inserts_number_every_parameter() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4)"
        );
    }

    #[test]
    fn sqlite_round_trips_every_kind_of_value_in_chunks() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB)")
            .unwrap();
        let mut db = Lite(&conn);
        let rows: Vec<Vec<Value>> = (0..2_500)
            .map(|i| {
                vec![
                    Value::Int(i),
                    if i % 2 == 0 {
                        Value::Real(i as f64 / 4.0)
                    } else {
                        Value::Null
                    },
                    Value::Text(format!("'; DROP TABLE t; -- é{i}")),
                    Value::Blob(vec![i as u8, 0, 255]),
                ]
            })
            .collect();
        db.insert_many("t", &["i", "r", "s", "b"], &rows).unwrap();
        let back = db
            .query("SELECT i, r, s, b FROM t ORDER BY i", &[])
            .unwrap();
        assert_eq!(back.len(), 2_500);
        assert_eq!(back[7].0, rows[7]);
        assert_eq!(back[8].opt_real(1).unwrap(), Some(2.0));
        assert_eq!(back[9].opt_blob(3).unwrap(), Some(vec![9, 0, 255]));
    }
}
