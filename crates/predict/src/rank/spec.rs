//! Method ids as values: [`MethodSpec`] is what a ranking method id (`trend+lr`,
//! `guard+trend+lr+node2vec`, `xgb+gat@scores`, `logme`, ...) means. An id is parsed once,
//! where it enters (a flag, a request, a config), and from then on only the value travels:
//! the rankers are built from it ([`MethodSpec::ranker`]) and its [`std::fmt::Display`] is
//! the id again, so `id.parse::<MethodSpec>()?.to_string() == id` for every id the parser
//! accepts.
//!
//! The grammar:
//!
//! ```text
//! id      = "guard+" id'            (not "guard+guard+…")
//!         | "pop+" id' | "trend+" id'   (the same prior not twice in a row)
//!         | base
//! base    = "random" | "popularity" | "trend" | "auto"
//!         | reg                      history regressor, reg = lr | rf | xgb
//!         | "amazon-lr" | "amazon-fm"
//!         | reg "+" learner ["@scores"] ["@cv"]   learner = node2vec | node2vec+ | graphsage | gat
//!         | score                    a stored score method (lower-case letters, digits, - _ .)
//! ```
//!
//! This module only describes methods; building them is [`super::registry`]'s job, so that
//! the rankers can use these types without depending on each other.

use crate::regress::RegressorKind;
use std::fmt;
use std::str::FromStr;

/// Which node embedder a graph method uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Learner {
    /// Node2Vec (Grover & Leskovec 2016).
    Node2Vec,
    /// Node2Vec+ (Liu et al. 2023).
    Node2VecPlus,
    /// GraphSAGE, mean aggregator, 2 layers (Hamilton et al. 2017).
    GraphSage,
    /// GAT, 2 layers (Veličković et al. 2018).
    Gat,
}

impl Learner {
    /// Every learner, in the order method lists use.
    pub const ALL: [Learner; 4] = [
        Learner::Node2Vec,
        Learner::Node2VecPlus,
        Learner::GraphSage,
        Learner::Gat,
    ];

    /// Stable id.
    pub fn id(self) -> &'static str {
        match self {
            Learner::Node2Vec => "node2vec",
            Learner::Node2VecPlus => "node2vec+",
            Learner::GraphSage => "graphsage",
            Learner::Gat => "gat",
        }
    }
}

/// The history prior a blend shrinks a learned ranking toward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prior {
    /// Popularity (id prefix `pop+`).
    Popularity,
    /// Trend (id prefix `trend+`).
    Trend,
}

impl Prior {
    /// The id prefix, without the `+`.
    pub fn id(self) -> &'static str {
        match self {
            Prior::Popularity => "pop",
            Prior::Trend => "trend",
        }
    }
}

/// Guided recommendation (Li et al., CVPR 2023): which regressor over the one-hot table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GuidedKind {
    /// `amazon-lr`: ridge regression.
    Linear,
    /// `amazon-fm`: a factorization machine.
    FactorizationMachine,
}

impl GuidedKind {
    /// Stable id.
    pub fn id(self) -> &'static str {
        match self {
            GuidedKind::Linear => "amazon-lr",
            GuidedKind::FactorizationMachine => "amazon-fm",
        }
    }

    /// The regressor it fits.
    pub fn regressor(self) -> RegressorKind {
        match self {
            GuidedKind::Linear => RegressorKind::Ridge,
            GuidedKind::FactorizationMachine => RegressorKind::FactorizationMachine,
        }
    }
}

/// A TransferGraph method `<regressor>+<learner>[@scores]`: the regressor is `lr`, `rf` or
/// `xgb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GraphSpec {
    /// The regressor over history and graph columns.
    pub regressor: RegressorKind,
    /// The node embedder.
    pub learner: Learner,
    /// Whether the graph also links datasets to models by stored transferability scores
    /// (`@scores`).
    pub score_edges: bool,
}

impl GraphSpec {
    /// The plain graph method (no score edges).
    pub fn new(regressor: RegressorKind, learner: Learner) -> GraphSpec {
        GraphSpec {
            regressor,
            learner,
            score_edges: false,
        }
    }
}

impl fmt::Display for GraphSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}+{}", self.regressor, self.learner.id())?;
        if self.score_edges {
            f.write_str(SCORES_SUFFIX)?;
        }
        Ok(())
    }
}

/// Suffix of the graph ids whose graph has transferability-score edges.
pub const SCORES_SUFFIX: &str = "@scores";
/// Suffix of the graph ids whose link quantile is chosen by cross-validation.
pub const CV_SUFFIX: &str = "@cv";

/// A ranking method (see the module docs for the id grammar).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MethodSpec {
    /// `random`: every model scored alike.
    Random,
    /// `popularity`: mean min-max normalised accuracy on the other datasets.
    Popularity,
    /// `trend`: popularity moved along each model's slopes in the target's descriptors.
    Trend,
    /// A stored feature-based score used as it is (`logme`, `reg-h-score`, ...).
    StoredScore(String),
    /// A history regressor `lr`, `rf` or `xgb`.
    History(RegressorKind),
    /// `amazon-lr` or `amazon-fm`.
    Guided(GuidedKind),
    /// A graph method; with `cv`, its link quantile is chosen by cross-validation over the
    /// training datasets (`<graph id>@cv`).
    Graph {
        /// The graph method.
        graph: GraphSpec,
        /// `@cv`.
        cv: bool,
    },
    /// `pop+<id>` / `trend+<id>`: a learned ranking averaged with a prior.
    Blend {
        /// The prior.
        prior: Prior,
        /// The learned method.
        learned: Box<MethodSpec>,
    },
    /// `guard+<id>`: the popularity prior's best-covered top models kept on top.
    Guard(Box<MethodSpec>),
    /// `auto`: chosen per target among `lr`, `pop+lr` and `popularity` by cross-validation.
    Auto,
}

/// The regressors a history or graph method may use.
const RANKING_REGRESSORS: [RegressorKind; 3] = [
    RegressorKind::Ridge,
    RegressorKind::Forest,
    RegressorKind::Boosting,
];

/// An id [`MethodSpec`]'s parser does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown method '{id}': {reason}. Valid forms: {VALID_FORMS}")]
pub struct MethodIdError {
    /// The id as given.
    pub id: String,
    /// What is wrong with it.
    pub reason: String,
}

impl MethodIdError {
    /// The error for `id`, wrong for `reason`.
    fn new(id: &str, reason: &str) -> MethodIdError {
        MethodIdError {
            id: id.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// The forms [`MethodIdError`] lists.
pub const VALID_FORMS: &str = "random, popularity, trend, auto, lr, rf, xgb, amazon-lr, \
     amazon-fm, <graph id> (<lr|rf|xgb>+<node2vec|node2vec+|graphsage|gat>), \
     <graph id>@scores, <graph id>@cv, <graph id>@scores@cv, pop+<id>, trend+<id>, guard+<id>, \
     or a stored score method (e.g. logme)";

impl MethodSpec {
    /// The graph method at the core of this method when it is one, alone or under blends and
    /// guards and not cross-validated: what a new dataset can rank inductively.
    pub fn inductive_graph(&self) -> Option<GraphSpec> {
        match self {
            MethodSpec::Graph { graph, cv: false } => Some(*graph),
            MethodSpec::Blend { learned, .. } => learned.inductive_graph(),
            MethodSpec::Guard(inner) => inner.inductive_graph(),
            _ => None,
        }
    }

    /// The graph method anywhere in this method (cross-validated or not).
    pub fn graph(&self) -> Option<GraphSpec> {
        match self {
            MethodSpec::Graph { graph, .. } => Some(*graph),
            MethodSpec::Blend { learned, .. } => learned.graph(),
            MethodSpec::Guard(inner) => inner.graph(),
            _ => None,
        }
    }

    /// Whether the trend prior takes part (alone or as a blend's prior).
    pub fn uses_trend(&self) -> bool {
        match self {
            MethodSpec::Trend => true,
            MethodSpec::Blend { prior, learned } => *prior == Prior::Trend || learned.uses_trend(),
            MethodSpec::Guard(inner) => inner.uses_trend(),
            _ => false,
        }
    }

    /// The stored score methods this method reads as a baseline.
    pub fn stored_scores(&self) -> Vec<&str> {
        match self {
            MethodSpec::StoredScore(s) => vec![s.as_str()],
            MethodSpec::Blend { learned, .. } => learned.stored_scores(),
            MethodSpec::Guard(inner) => inner.stored_scores(),
            _ => Vec::new(),
        }
    }

    /// `pop+<learned>` or `trend+<learned>`.
    pub fn blend(prior: Prior, learned: MethodSpec) -> MethodSpec {
        MethodSpec::Blend {
            prior,
            learned: Box::new(learned),
        }
    }

    /// `guard+<inner>`.
    pub fn guard(inner: MethodSpec) -> MethodSpec {
        MethodSpec::Guard(Box::new(inner))
    }

    /// A graph method, not cross-validated.
    pub fn graph_method(graph: GraphSpec) -> MethodSpec {
        MethodSpec::Graph { graph, cv: false }
    }
}

impl fmt::Display for MethodSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MethodSpec::Random => f.write_str("random"),
            MethodSpec::Popularity => f.write_str("popularity"),
            MethodSpec::Trend => f.write_str("trend"),
            MethodSpec::Auto => f.write_str("auto"),
            MethodSpec::StoredScore(s) => f.write_str(s),
            MethodSpec::History(r) => write!(f, "{r}"),
            MethodSpec::Guided(g) => f.write_str(g.id()),
            MethodSpec::Graph { graph, cv } => {
                write!(f, "{graph}")?;
                if *cv {
                    f.write_str(CV_SUFFIX)?;
                }
                Ok(())
            }
            MethodSpec::Blend { prior, learned } => write!(f, "{}+{learned}", prior.id()),
            MethodSpec::Guard(inner) => write!(f, "guard+{inner}"),
        }
    }
}

impl FromStr for GraphSpec {
    type Err = MethodIdError;
    fn from_str(id: &str) -> Result<GraphSpec, MethodIdError> {
        let err = |reason: &str| MethodIdError::new(id, reason);
        let (base, score_edges) = match id.strip_suffix(SCORES_SUFFIX) {
            Some(b) => (b, true),
            None => (id, false),
        };
        let (reg, learner) = base
            .split_once('+')
            .ok_or_else(|| err("a graph id is <regressor>+<learner>"))?;
        let regressor = RANKING_REGRESSORS
            .into_iter()
            .find(|r| r.id() == reg)
            .ok_or_else(|| err(&format!("'{reg}' is not a graph regressor (lr, rf, xgb)")))?;
        let learner = Learner::ALL
            .into_iter()
            .find(|l| l.id() == learner)
            .ok_or_else(|| {
                err(&format!(
                    "'{learner}' is not a graph learner (node2vec, node2vec+, graphsage, gat)"
                ))
            })?;
        Ok(GraphSpec {
            regressor,
            learner,
            score_edges,
        })
    }
}

impl FromStr for MethodSpec {
    type Err = MethodIdError;
    fn from_str(id: &str) -> Result<MethodSpec, MethodIdError> {
        let err = |reason: &str| MethodIdError::new(id, reason);
        if id.is_empty() {
            return Err(err("it is empty"));
        }
        if let Some(rest) = id.strip_prefix("guard+") {
            let inner: MethodSpec = rest.parse().map_err(|e: MethodIdError| err(&e.reason))?;
            if matches!(inner, MethodSpec::Guard(_)) {
                return Err(err("guard+ is repeated"));
            }
            return Ok(MethodSpec::guard(inner));
        }
        for prior in [Prior::Popularity, Prior::Trend] {
            if let Some(rest) = id
                .strip_prefix(prior.id())
                .and_then(|r| r.strip_prefix('+'))
            {
                let learned: MethodSpec =
                    rest.parse().map_err(|e: MethodIdError| err(&e.reason))?;
                if matches!(learned, MethodSpec::Blend { prior: p, .. } if p == prior) {
                    return Err(err(&format!("{}+ is repeated", prior.id())));
                }
                return Ok(MethodSpec::blend(prior, learned));
            }
        }
        match id {
            "random" => return Ok(MethodSpec::Random),
            "popularity" => return Ok(MethodSpec::Popularity),
            "trend" => return Ok(MethodSpec::Trend),
            "auto" => return Ok(MethodSpec::Auto),
            "amazon-lr" => return Ok(MethodSpec::Guided(GuidedKind::Linear)),
            "amazon-fm" => return Ok(MethodSpec::Guided(GuidedKind::FactorizationMachine)),
            _ => {}
        }
        if let Ok(r) = id.parse::<RegressorKind>() {
            if !RANKING_REGRESSORS.contains(&r) {
                return Err(err(&format!(
                    "'{r}' is a regressor that ranks only within amazon-{r}"
                )));
            }
            return Ok(MethodSpec::History(r));
        }
        if id.contains('+') || id.contains('@') {
            let (base, cv) = match id.strip_suffix(CV_SUFFIX) {
                Some(b) => (b, true),
                None => (id, false),
            };
            let graph: GraphSpec = base.parse().map_err(|e: MethodIdError| err(&e.reason))?;
            return Ok(MethodSpec::Graph { graph, cv });
        }
        let score_like = id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
        if !score_like {
            return Err(err(
                "a stored score method id has only lower-case letters, digits, '-', '_' and '.'",
            ));
        }
        Ok(MethodSpec::StoredScore(id.to_string()))
    }
}

impl serde::Serialize for MethodSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MethodSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Every graph method without score edges, regressor-major (`lr+node2vec`, `rf+node2vec`,
/// `xgb+node2vec`, `lr+node2vec+`, ...).
pub fn graph_specs() -> Vec<GraphSpec> {
    Learner::ALL
        .into_iter()
        .flat_map(|l| RANKING_REGRESSORS.map(|r| GraphSpec::new(r, l)))
        .collect()
}

/// Every method available on a zoo with these stored score methods, in the order `eval`
/// reports them: the baselines, the stored scores, the learned methods, a few blends and
/// guards (`pop+<id>`, `trend+<id>`, `guard+<id>` take any id), the 12 graph variants, the
/// cross-validated methods and, when the zoo stores scores, the graph variants with score
/// edges (`<graph id>@scores`).
pub fn all_methods(score_methods: &[String]) -> Vec<MethodSpec> {
    use MethodSpec as M;
    let lr = || M::History(RegressorKind::Ridge);
    let lr_node2vec = || M::graph_method(GraphSpec::new(RegressorKind::Ridge, Learner::Node2Vec));
    let mut v = vec![M::Random, M::Popularity, M::Trend];
    v.extend(score_methods.iter().cloned().map(M::StoredScore));
    v.extend(RANKING_REGRESSORS.map(M::History));
    v.extend([
        M::Guided(GuidedKind::Linear),
        M::Guided(GuidedKind::FactorizationMachine),
    ]);
    v.extend([
        M::blend(
            Prior::Popularity,
            M::Guided(GuidedKind::FactorizationMachine),
        ),
        M::blend(Prior::Popularity, lr()),
        M::blend(Prior::Trend, lr()),
        M::guard(lr()),
        M::guard(M::blend(Prior::Popularity, lr())),
        M::guard(M::blend(Prior::Trend, lr())),
        M::guard(lr_node2vec()),
        M::guard(M::blend(Prior::Trend, lr_node2vec())),
    ]);
    v.extend(graph_specs().into_iter().map(M::graph_method));
    v.extend([
        M::Auto,
        M::Graph {
            graph: GraphSpec::new(RegressorKind::Ridge, Learner::Node2Vec),
            cv: true,
        },
    ]);
    if !score_methods.is_empty() {
        v.extend(graph_specs().into_iter().map(|g| {
            M::graph_method(GraphSpec {
                score_edges: true,
                ..g
            })
        }));
    }
    v
}

/// Whether `eval` runs the method when none are named: not the cross-validated ones
/// (seconds per target) nor the `@scores` graph variants (they double the graph variants'
/// time); name them to run them.
pub fn in_default_eval(m: &MethodSpec) -> bool {
    match m {
        MethodSpec::Auto => false,
        MethodSpec::Graph { graph, cv } => !cv && !graph.score_edges,
        MethodSpec::Blend { learned, .. } => in_default_eval(learned),
        MethodSpec::Guard(inner) => in_default_eval(inner),
        _ => true,
    }
}

/// [`all_methods`] filtered by [`in_default_eval`]: what `zoorank eval` runs by default.
pub fn default_eval_methods(score_methods: &[String]) -> Vec<MethodSpec> {
    all_methods(score_methods)
        .into_iter()
        .filter(in_default_eval)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_id_round_trips() {
        let scores = ["logme".to_string(), "reg-h-score".to_string()];
        let all = all_methods(&scores);
        assert_eq!(all.len(), 3 + 2 + 3 + 2 + 8 + 12 + 2 + 12);
        for m in &all {
            let id = m.to_string();
            let back: MethodSpec = id.parse().unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(&back, m, "{id}");
            assert_eq!(back.to_string(), id);
        }
        let ids: std::collections::BTreeSet<String> = all.iter().map(|m| m.to_string()).collect();
        assert_eq!(ids.len(), all.len(), "ids are distinct");
    }

    #[test]
    fn ids_in_use_parse_to_their_structure() {
        let m: MethodSpec = "guard+trend+lr+node2vec".parse().unwrap();
        assert_eq!(
            m,
            MethodSpec::guard(MethodSpec::blend(
                Prior::Trend,
                MethodSpec::graph_method(GraphSpec::new(RegressorKind::Ridge, Learner::Node2Vec))
            ))
        );
        assert_eq!(
            "xgb+node2vec+@scores@cv".parse::<MethodSpec>().unwrap(),
            MethodSpec::Graph {
                graph: GraphSpec {
                    regressor: RegressorKind::Boosting,
                    learner: Learner::Node2VecPlus,
                    score_edges: true
                },
                cv: true
            }
        );
        assert_eq!(
            "reg-h-score".parse::<MethodSpec>().unwrap(),
            MethodSpec::StoredScore("reg-h-score".into())
        );
        assert_eq!(
            "trend".parse::<MethodSpec>().unwrap(),
            MethodSpec::Trend,
            "the trend prior alone is not a blend"
        );
        // The same prior twice is refused only when repeated at once, as before.
        assert!("pop+trend+pop+lr".parse::<MethodSpec>().is_ok());
        assert!("guard+pop+guard+lr".parse::<MethodSpec>().is_ok());
    }

    #[test]
    fn malformed_ids_are_refused_with_the_valid_forms() {
        for bad in [
            "",
            "guard+",
            "pop+",
            "trend+",
            "guard+guard+lr",
            "pop+pop+lr",
            "trend+trend+lr",
            "fm",
            "lr+",
            "+node2vec",
            "fm+node2vec",
            "lr+node2vec@cv@scores",
            "lr+node2vec@scores@scores",
            "lr+deepwalk",
            "lr+node2vec@foo",
            "LogME",
            "log me",
            "xgb+gat@cv@cv",
        ] {
            let e = bad
                .parse::<MethodSpec>()
                .expect_err(&format!("'{bad}' should be refused"));
            let msg = e.to_string();
            assert!(msg.contains(VALID_FORMS), "{bad}: {msg}");
            assert!(msg.contains(&format!("'{bad}'")), "{bad}: {msg}");
        }
    }

    #[test]
    fn structure_queries() {
        let m: MethodSpec = "guard+trend+rf+gat@scores".parse().unwrap();
        assert!(m.uses_trend());
        assert_eq!(m.inductive_graph().unwrap().learner, Learner::Gat);
        let cv: MethodSpec = "pop+lr+gat@cv".parse().unwrap();
        assert_eq!(cv.inductive_graph(), None);
        assert!(cv.graph().is_some());
        assert!(!cv.uses_trend());
        assert_eq!(
            "guard+logme".parse::<MethodSpec>().unwrap().stored_scores(),
            ["logme"]
        );
    }

    #[test]
    fn serde_uses_the_id() {
        let m: MethodSpec = "guard+trend+lr".parse().unwrap();
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(j, "\"guard+trend+lr\"");
        assert_eq!(serde_json::from_str::<MethodSpec>(&j).unwrap(), m);
        assert!(serde_json::from_str::<MethodSpec>("\"pop+\"").is_err());
    }
}
