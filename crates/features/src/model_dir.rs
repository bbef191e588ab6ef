//! A model directory in the Hugging Face layout: `config.json`, weights, tokenizer or
//! preprocessor files.
//!
//! Weights are looked for in this order: `model.safetensors`; `model.safetensors.index.json`
//! (sharded checkpoints: the index's `weight_map` names the shard files); any other
//! `*.safetensors` files of the directory (sorted by name); `pytorch_model.bin` (PyTorch's zip
//! format). All tensors are converted to `f32` on load.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use crate::error::{FeaturesError, Result};

/// A model directory with its parsed `config.json`.
#[derive(Debug, Clone)]
pub struct ModelDir {
    path: PathBuf,
    config: serde_json::Value,
}

impl ModelDir {
    /// Opens `path` and parses its `config.json`.
    ///
    /// # Errors
    /// [`FeaturesError::MissingFile`] when `config.json` is absent, [`FeaturesError::Json`] when
    /// it is not a JSON object.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if !path.is_dir() {
            return Err(FeaturesError::MissingFile {
                dir: path,
                what: "directory".into(),
            });
        }
        let config_path = path.join("config.json");
        if !config_path.is_file() {
            return Err(FeaturesError::MissingFile {
                dir: path,
                what: "config.json".into(),
            });
        }
        let config = read_json(&config_path)?;
        if !config.is_object() {
            return Err(FeaturesError::Json {
                path: config_path,
                message: "expected a JSON object".into(),
            });
        }
        Ok(Self { path, config })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The parsed `config.json`.
    pub fn config(&self) -> &serde_json::Value {
        &self.config
    }

    /// `config.json`'s `model_type`, if any.
    pub fn model_type(&self) -> Option<&str> {
        self.config.get("model_type").and_then(|v| v.as_str())
    }

    /// Deserialises `config.json` into a typed configuration.
    pub fn typed_config<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(self.config.clone()).map_err(|e| FeaturesError::InvalidConfig {
            path: self.path.join("config.json"),
            message: match self.culprit_field::<T>() {
                Some(field) => format!("field `{field}`: {e}"),
                None => e.to_string(),
            },
        })
    }

    /// The top-level field of `config.json` that makes it fail to deserialise as `T`, found by
    /// leaving each out in turn (serde's messages on a `Value` name the expected type, not the
    /// field): without the culprit it either deserialises or misses exactly that field.
    fn culprit_field<T: serde::de::DeserializeOwned>(&self) -> Option<String> {
        let obj = self.config.as_object()?;
        obj.keys().find_map(|k| {
            let mut without = obj.clone();
            without.remove(k);
            match serde_json::from_value::<T>(serde_json::Value::Object(without)) {
                Ok(_) => Some(k.clone()),
                Err(e) if e.to_string() == format!("missing field `{k}`") => Some(k.clone()),
                Err(_) => None,
            }
        })
    }

    /// Reads an optional JSON file of the directory (`None` when absent).
    pub fn optional_json(&self, name: &str) -> Result<Option<serde_json::Value>> {
        let p = self.path.join(name);
        if p.is_file() {
            read_json(&p).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The weight files, in load order (see the module documentation).
    ///
    /// # Errors
    /// [`FeaturesError::MissingFile`] when none exists or a shard named by the index is absent.
    pub fn weight_files(&self) -> Result<Vec<PathBuf>> {
        let single = self.path.join("model.safetensors");
        if single.is_file() {
            return Ok(vec![single]);
        }
        let index = self.path.join("model.safetensors.index.json");
        if index.is_file() {
            let json = read_json(&index)?;
            let map = json
                .get("weight_map")
                .and_then(|m| m.as_object())
                .ok_or_else(|| FeaturesError::Json {
                    path: index.clone(),
                    message: "no \"weight_map\" object".into(),
                })?;
            let mut shards = BTreeSet::new();
            for (tensor, file) in map {
                let file = file.as_str().ok_or_else(|| FeaturesError::Json {
                    path: index.clone(),
                    message: format!("weight_map[{tensor:?}] is not a file name"),
                })?;
                shards.insert(file.to_string());
            }
            let mut files = Vec::with_capacity(shards.len());
            for shard in shards {
                let p = self.path.join(&shard);
                if !p.is_file() {
                    return Err(FeaturesError::MissingFile {
                        dir: self.path.clone(),
                        what: format!(
                            "weight shard {shard} (named by model.safetensors.index.json)"
                        ),
                    });
                }
                files.push(p);
            }
            return Ok(files);
        }
        let mut any: Vec<PathBuf> = std::fs::read_dir(&self.path)
            .map_err(|e| FeaturesError::io(&self.path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
            .collect();
        if !any.is_empty() {
            any.sort();
            return Ok(any);
        }
        let bin = self.path.join("pytorch_model.bin");
        if bin.is_file() {
            return Ok(vec![bin]);
        }
        Err(FeaturesError::MissingFile {
            dir: self.path.clone(),
            what: "weights (model.safetensors, model.safetensors.index.json, *.safetensors or pytorch_model.bin)".into(),
        })
    }

    /// Loads every weight tensor (as `f32`, on the CPU).
    pub fn load_weights(&self) -> Result<Weights> {
        let device = Device::Cpu;
        let mut tensors: HashMap<String, Tensor> = HashMap::new();
        for file in self.weight_files()? {
            let loaded: Vec<(String, Tensor)> =
                if file.extension().is_some_and(|x| x == "safetensors") {
                    let bytes = std::fs::read(&file).map_err(|e| FeaturesError::io(&file, e))?;
                    candle_core::safetensors::load_buffer(&bytes, &device)
                        .map_err(|e| broken_weights(&file, "safetensors file", e))?
                        .into_iter()
                        .collect()
                } else {
                    candle_core::pickle::read_all(&file)
                        .map_err(|e| broken_weights(&file, "PyTorch checkpoint", e))?
                };
            for (name, t) in loaded {
                tensors.insert(name, t.to_dtype(DType::F32)?);
            }
        }
        let names = tensors.keys().cloned().collect();
        Ok(Weights {
            vb: VarBuilder::from_tensors(tensors, DType::F32, &device),
            names,
        })
    }

    /// A hex SHA-256 over the names, sizes and contents of every regular file of the directory
    /// (not recursing into sub-directories other than sentence-transformers' `1_Pooling`).
    /// Two directories with the same files hash the same wherever they live.
    pub fn content_hash(&self) -> Result<String> {
        crate::cache::hash_dir(&self.path)
    }
}

/// The loaded weights of a model directory.
pub struct Weights {
    /// Tensors by name, for candle's layer constructors.
    pub vb: VarBuilder<'static>,
    /// Every tensor name of the checkpoint.
    pub names: BTreeSet<String>,
}

impl Weights {
    /// Whether the checkpoint has a tensor of that exact name.
    pub fn has(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// Whether any tensor name starts with `prefix` followed by a dot.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        let p = format!("{prefix}.");
        self.names
            .range(p.clone()..)
            .next()
            .is_some_and(|n| n.starts_with(&p))
    }
}

/// A weights file that cannot be read as `what`: an I/O error of kind `InvalidData` naming the
/// file, not a configuration error (the configuration may be fine).
fn broken_weights(file: &Path, what: &str, e: candle_core::Error) -> FeaturesError {
    FeaturesError::io(
        file,
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("broken {what}: {e}"),
        ),
    )
}

/// Reads and parses a JSON file.
pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| FeaturesError::io(path, e))?;
    serde_json::from_str(&text).map_err(|e| FeaturesError::Json {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
