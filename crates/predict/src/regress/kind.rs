//! [`RegressorKind`]: the regressors by stable id.

use super::base::Regressor;
use super::boosting::GradientBoosting;
use super::fm::FactorizationMachine;
use super::forest::RandomForest;
use super::ridge::Ridge;

/// The regressors, by kind; [`RegressorKind::build`] gives one with its default
/// hyper-parameters. Its stable id (`lr`, `rf`, `xgb`, `fm`) is what method ids, the CLI and
/// JSON use; [`std::str::FromStr`] and [`std::fmt::Display`] round-trip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegressorKind {
    /// `lr`: [`Ridge`].
    Ridge,
    /// `rf`: [`RandomForest`].
    Forest,
    /// `xgb`: [`GradientBoosting`].
    Boosting,
    /// `fm`: [`FactorizationMachine`].
    FactorizationMachine,
}

impl RegressorKind {
    /// Every kind, in id order `lr`, `rf`, `xgb`, `fm`.
    pub const ALL: [RegressorKind; 4] = [
        RegressorKind::Ridge,
        RegressorKind::Forest,
        RegressorKind::Boosting,
        RegressorKind::FactorizationMachine,
    ];

    /// The stable id.
    pub fn id(self) -> &'static str {
        match self {
            RegressorKind::Ridge => "lr",
            RegressorKind::Forest => "rf",
            RegressorKind::Boosting => "xgb",
            RegressorKind::FactorizationMachine => "fm",
        }
    }

    /// The regressor of this kind with its default hyper-parameters.
    pub fn build(self) -> Box<dyn Regressor> {
        match self {
            RegressorKind::Ridge => Box::new(Ridge::default()),
            RegressorKind::Forest => Box::new(RandomForest::default()),
            RegressorKind::Boosting => Box::new(GradientBoosting::default()),
            RegressorKind::FactorizationMachine => Box::new(FactorizationMachine::default()),
        }
    }
}

impl std::fmt::Display for RegressorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

/// A regressor id that is none of `lr`, `rf`, `xgb`, `fm`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown regressor '{0}' (known: lr, rf, xgb, fm)")]
pub struct UnknownRegressor(pub String);

impl std::str::FromStr for RegressorKind {
    type Err = UnknownRegressor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegressorKind::ALL
            .into_iter()
            .find(|k| k.id() == s)
            .ok_or_else(|| UnknownRegressor(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::regress::base::{Features, RegressError, Standardizer};

    #[test]
    fn ids_resolve() {
        for kind in RegressorKind::ALL {
            assert_eq!(kind.build().id(), kind.id());
            assert_eq!(kind.to_string().parse::<RegressorKind>(), Ok(kind));
        }
        assert_eq!(
            "svm".parse::<RegressorKind>(),
            Err(UnknownRegressor("svm".into()))
        );
    }

    #[test]
    fn invalid_input_is_rejected_by_every_regressor() {
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let ok = Features::new(&data, 4, 2);
        let y = [1.0, 2.0, 3.0, 4.0];
        for kind in RegressorKind::ALL {
            let r = kind.build();
            let bad_shape = Features {
                data: &data[..7],
                ..ok
            };
            assert!(matches!(
                r.fit(bad_shape, &y, 0),
                Err(RegressError::ShapeMismatch { .. })
            ));
            assert!(matches!(
                r.fit(ok, &y[..3], 0),
                Err(RegressError::ShapeMismatch { .. })
            ));
            let mut nan = data;
            nan[5] = f64::NAN;
            assert!(matches!(
                r.fit(Features { data: &nan, ..ok }, &y, 0),
                Err(RegressError::NonFiniteFeature { row: 2, col: 1, .. })
            ));
            assert!(matches!(
                r.fit(ok, &[1.0, f64::INFINITY, 3.0, 4.0], 0),
                Err(RegressError::NonFiniteTarget { index: 1, .. })
            ));
            assert!(matches!(
                r.fit(Features::new(&[], 4, 0), &y, 0),
                Err(RegressError::NoFeatures)
            ));
            assert!(matches!(
                r.fit(Features::new(&data[..2], 1, 2), &y[..1], 0),
                Err(RegressError::TooFewRows { .. })
            ));
        }
    }

    #[test]
    fn standardizer_maps_constant_columns_to_zero() {
        let data = [1.0, 0.1, 2.0, 0.1, 3.0, 0.1];
        let x = Features::new(&data, 3, 2);
        let s = Standardizer::fit(&x);
        let z = s.transform(&x);
        assert!(z.iter().all(|v| v.is_finite()));
        assert_eq!(s.scale[1], 1.0);
        assert!(z[1].abs() < 1e-15 && z[3].abs() < 1e-15);
    }
}
