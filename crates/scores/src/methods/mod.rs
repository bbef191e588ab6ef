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

/// A function whose body is compiled twice, for the crate's target (baseline x86-64: SSE2)
/// and for AVX2, and which runs the AVX2 build where the CPU has it. For loops the compiler
/// vectorises by itself: AVX2 handles twice the values per instruction with the same
/// arithmetic in the same order, so both builds give the same bits.
macro_rules! avx2_where_available {
    ($(#[$attr:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$attr])*
        fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn portable($($arg: $ty),*) $(-> $ret)? $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2")]
            unsafe fn avx2($($arg: $ty),*) $(-> $ret)? {
                portable($($arg),*)
            }

            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU supports AVX2, checked on the line above.
                return unsafe { avx2($($arg),*) };
            }
            portable($($arg),*)
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
