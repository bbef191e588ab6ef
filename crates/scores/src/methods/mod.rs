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

/// A score without parameters: `const ID` (its id `$id`), the unit struct `$name` with its
/// docs, and its [`TransferabilityScore`](crate::TransferabilityScore) implementation, which
/// needs `$needs` and runs the module's `fn score(input)`.
macro_rules! unit_score {
    ($(#[$meta:meta])* $name:ident, $id:literal, $needs:ident) => {
        const ID: &str = $id;

        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default)]
        pub struct $name;

        impl crate::TransferabilityScore for $name {
            id_and_needs!($needs);

            fn score(
                &self,
                input: &crate::input::ScoreInput<'_>,
            ) -> Result<f64, crate::error::ScoreError> {
                score(input)
            }
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
