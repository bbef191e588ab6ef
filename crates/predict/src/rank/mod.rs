//! Rankers: the one thing the evaluation harness calls. A ranker takes a [`TargetView`] (the zoo
//! with the target's fine-tuning history removed) and scores every candidate model; higher =
//! better expected fine-tuning accuracy.
//!
//! | id | what |
//! |---|---|
//! | `random` | constant score: the expected value of picking at random |
//! | `popularity` | mean min-max-normalised accuracy of the model on the other datasets |
//! | any stored score method (`logme`, `reg-h-score`, …) | that score on the target, as it is |
//! | `lr`, `rf`, `xgb` | history regressors over [`table`]'s feature table (ridge, random forest, gradient boosting) |
//! | `trend` | popularity moved along each model's slopes in the target's samples per class and distance from pre-training ([`history::History::trend`]) |
//! | `pop+<id>`, `trend+<id>` | a learned ranker shrunk toward popularity or the trend: equal-weight mean of both standardised scores |
//! | `guard+<id>` | the popularity prior's best-covered top models kept on top of a ranking ([`baseline::Guard`]) |
//! | `amazon-lr`, `amazon-fm` | guided recommendation (Li et al., CVPR 2023): one-hot model/dataset ids + meta features + scores, linear regression / factorization machine |
//! | `lr+node2vec`, …, `xgb+gat` | TransferGraph ([`graph`]): Node2Vec / Node2Vec+ / GraphSAGE / GAT embeddings of the model–dataset graph + history features, lr / rf / xgb |
//! | `auto` | chosen per fit among `lr`, `pop+lr`, `popularity` by leave-one-dataset-out over the training datasets ([`cv`]) |
//! | `<graph id>@cv` | the graph ranker with its link quantile (0.5, 0.25, 0.75) chosen the same way ([`cv`]) |
//!
//! A method id is parsed once into a [`MethodSpec`] ([`spec`]); [`MethodSpec::ranker`]
//! ([`registry`]) builds its ranker.

pub mod baseline;
pub mod cv;
pub mod error;
pub mod graph;
pub mod guided;
pub mod history;
pub mod registry;
pub mod regressor;
pub mod spec;
pub mod table;
pub mod view;

pub use error::PredictError;
pub use registry::{AUTO_FOLDS, GRAPH_CV_FOLDS};
pub use spec::{
    all_methods, default_eval_methods, GraphSpec, GuidedKind, Learner, MethodIdError, MethodSpec,
    Prior,
};
pub use view::{ModelScore, Ranker, TargetView};
