//! [`Engine`]: a zoo store opened for ranking.

use crate::error::EngineError;
use std::path::Path;
use zoorank_core::{StableHash, Zoo};
use zoorank_store::Store;

/// A zoo store and the zoo it held when the engine read it.
///
/// The zoo is read once, when the engine is made: requests see one consistent snapshot, and
/// [`Engine::reload`] picks up what was imported since.
pub struct Engine {
    pub(crate) store: Store,
    pub(crate) zoo: Zoo,
    pub(crate) zoo_version: String,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("models", &self.zoo.models.len())
            .field("datasets", &self.zoo.datasets.len())
            .field("records", &self.zoo.records.len())
            .field("zoo_version", &self.zoo_version)
            .finish()
    }
}

impl Engine {
    /// Opens the existing zoo store at `path` (SQLite); never creates one.
    ///
    /// # Errors
    /// [`EngineError::Open`] when the store cannot be opened or read.
    pub fn open(path: impl AsRef<Path>) -> Result<Engine, EngineError> {
        let path = path.as_ref();
        let open = |source| EngineError::Open {
            path: path.to_path_buf(),
            source,
        };
        let store = Store::open_existing(path).map_err(open)?;
        Engine::from_store(store).map_err(|e| match e {
            EngineError::Store(source) => open(source),
            e => e,
        })
    }

    /// An engine over an open store.
    ///
    /// # Errors
    /// [`EngineError::Store`] when the zoo cannot be read.
    pub fn from_store(store: Store) -> Result<Engine, EngineError> {
        let zoo = store.load_zoo()?;
        let zoo_version = zoo_version(&zoo);
        Ok(Engine {
            store,
            zoo,
            zoo_version,
        })
    }

    /// Reads the zoo again (after imports through [`Engine::store_mut`] or by others).
    ///
    /// # Errors
    /// [`EngineError::Store`].
    pub fn reload(&mut self) -> Result<(), EngineError> {
        self.zoo = self.store.load_zoo()?;
        self.zoo_version = zoo_version(&self.zoo);
        Ok(())
    }

    /// The zoo as read.
    pub fn zoo(&self) -> &Zoo {
        &self.zoo
    }

    /// A content version of the zoo: 16 hex digits of a [`StableHash`] over every model,
    /// dataset, record, score and distance. Two stores with the same content have the same
    /// version; any import that changes something changes it.
    pub fn zoo_version(&self) -> &str {
        &self.zoo_version
    }

    /// The store, e.g. to import into it (then [`Engine::reload`]).
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The store, for reads the engine does not wrap (statistics, listings).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

fn zoo_version(zoo: &Zoo) -> String {
    let bytes = serde_json::to_vec(zoo).expect("a zoo serialises");
    let mut h = StableHash::new();
    h.str("zoorank-zoo-v1").bytes(&bytes);
    h.hex()[..16].to_string()
}
