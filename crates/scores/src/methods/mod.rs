//! One file per method.

/// The constant parts of a [`TransferabilityScore`](crate::TransferabilityScore) impl: `id`
/// returns the module's `ID` and `needs` the given [`Needs`](crate::Needs) variant, so every
/// method's impl holds only its `score`.
macro_rules! id_and_needs {
    ($needs:ident) => {
        fn id(&self) -> &'static str {
            ID
        }

        fn needs(&self) -> crate::input::Needs {
            crate::input::Needs::$needs
        }
    };
}

pub mod gbc;
pub mod h_score;
pub mod knn;
pub mod leep;
pub mod lfc;
pub mod logistic;
pub mod logme;
pub mod nce;
pub mod nleep;
pub mod parc;
pub mod reg_h_score;
pub mod sfda;
pub mod transrate;
