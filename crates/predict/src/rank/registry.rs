//! From a [`MethodSpec`] to the ranker that runs it, and the one call that ranks a target
//! with any method, new datasets included ([`MethodSpec::rank_target`]).

use super::baseline::GUARD_K;
use super::baseline::{lift_prior_top, Blend, Guard, Popularity, Random, StoredScore, Trend};
use super::cv::CvChoice;
use super::error::PredictError;
use super::graph::{EmbedderSource, GraphRanker};
use super::guided::Guided;
use super::regressor::HistoryRegressor;
use super::spec::{GraphSpec, MethodSpec, Prior};
use super::view::{ModelScore, Ranker, TargetView};
use crate::regress::RegressorKind;
use zoorank_core::{BlobCache, BlobError};

/// Most fold datasets of `auto` (cheap candidates: every training dataset on the image zoo).
pub const AUTO_FOLDS: usize = 16;
/// Most fold datasets of `<graph id>@cv` (each fold trains an embedding).
pub const GRAPH_CV_FOLDS: usize = 6;

/// What `auto` chooses among, the default first. Adding `guard+lr` and `guard+pop+lr` was
/// tried and left out: 0.804 / 0.686 / 0.993 against 0.810 / 0.693 / 0.993 on the 8
/// published image targets, 0.784 / 0.502 / 0.993 against 0.786 / 0.501 / 0.993 on the
/// validation ones.
pub fn auto_candidates() -> [MethodSpec; 3] {
    let lr = MethodSpec::History(RegressorKind::Ridge);
    [
        lr.clone(),
        MethodSpec::blend(Prior::Popularity, lr),
        MethodSpec::Popularity,
    ]
}

/// Link quantiles `<graph id>@cv` chooses among, the default first.
pub const GRAPH_CV_QUANTILES: [f64; 3] = [0.5, 0.25, 0.75];

/// `auto` ([`auto_candidates`]).
fn auto(spec: &MethodSpec, score_methods: &[String]) -> Result<CvChoice, PredictError> {
    let candidates = auto_candidates()
        .into_iter()
        .map(|c| Ok((c.to_string(), c.ranker(score_methods)?)))
        .collect::<Result<Vec<_>, PredictError>>()?;
    Ok(CvChoice::new(spec.to_string(), candidates, AUTO_FOLDS))
}

/// `<graph id>@cv`: the graph ranker at each of [`GRAPH_CV_QUANTILES`].
fn graph_cv(spec: &MethodSpec, graph: GraphSpec) -> CvChoice {
    let base = GraphRanker::new(graph);
    let candidates = GRAPH_CV_QUANTILES
        .into_iter()
        .map(|q| {
            let r = base.clone().with_graph_params(zoorank_graph::GraphParams {
                link_quantile: q,
                ..base.graph_params()
            });
            (format!("link_quantile={q}"), Box::new(r) as Box<dyn Ranker>)
        })
        .collect();
    CvChoice::new(spec.to_string(), candidates, GRAPH_CV_FOLDS)
}

/// A ranking and how it was made.
#[derive(Debug)]
pub struct Ranked {
    /// Scores of the candidates the method could score.
    pub scores: Vec<ModelScore>,
    /// For a new dataset ranked through a graph: whether its embedder was trained or reused.
    pub embedder: Option<EmbedderSource>,
    /// What the embedder cache failed to read or write (the ranking did not depend on it).
    pub cache_errors: Vec<BlobError>,
}

impl MethodSpec {
    /// The ranker of this method on a zoo whose stored score methods are `score_methods`.
    ///
    /// # Errors
    /// [`PredictError::UnknownScoreMethod`] when the method reads a stored score the zoo does
    /// not have.
    pub fn ranker(&self, score_methods: &[String]) -> Result<Box<dyn Ranker>, PredictError> {
        Ok(match self {
            MethodSpec::Random => Box::new(Random),
            MethodSpec::Popularity => Box::new(Popularity),
            MethodSpec::Trend => Box::new(Trend),
            MethodSpec::StoredScore(m) => {
                if !score_methods.contains(m) {
                    return Err(PredictError::UnknownScoreMethod {
                        id: m.clone(),
                        stored: score_methods.to_vec(),
                    });
                }
                Box::new(StoredScore { method: m.clone() })
            }
            MethodSpec::History(r) => Box::new(HistoryRegressor::new(*r)),
            MethodSpec::Guided(g) => Box::new(Guided::new(*g)),
            MethodSpec::Graph { graph, cv: false } => Box::new(GraphRanker::new(*graph)),
            MethodSpec::Graph { graph, cv: true } => Box::new(graph_cv(self, *graph)),
            MethodSpec::Blend { prior, learned } => Box::new(Blend {
                prior: *prior,
                learned: learned.ranker(score_methods)?,
            }),
            MethodSpec::Guard(inner) => Box::new(Guard {
                learned: inner.ranker(score_methods)?,
                k: GUARD_K,
            }),
            MethodSpec::Auto => Box::new(auto(self, score_methods)?),
        })
    }

    /// The cross-validated ranker of this method when it is one (`auto`, `<graph id>@cv`), so
    /// callers can ask it what it chose ([`CvChoice::choose`]); `None` for any other method.
    ///
    /// # Errors
    /// As [`MethodSpec::ranker`].
    pub fn cv_choice(&self, score_methods: &[String]) -> Result<Option<CvChoice>, PredictError> {
        Ok(match self {
            MethodSpec::Auto => Some(auto(self, score_methods)?),
            MethodSpec::Graph { graph, cv: true } => Some(graph_cv(self, *graph)),
            _ => None,
        })
    }

    /// Ranks `view`'s target with this method. With `new_target` (a dataset without any
    /// fine-tuning record), a method built on a graph method — alone, blended with a prior or
    /// guarded ([`MethodSpec::inductive_graph`]) — embeds the target into the zoo's trained
    /// graph instead of training the embedding on a graph that contains it
    /// ([`GraphRanker::rank_inductive_cached`]), reusing the embedder kept in `cache`; the
    /// blend and the guard then apply to its scores as they do to any learned ranking.
    ///
    /// # Errors
    /// As [`MethodSpec::ranker`] and [`Ranker::rank`].
    pub fn rank_target(
        &self,
        view: &TargetView,
        score_methods: &[String],
        new_target: bool,
        cache: Option<&mut dyn BlobCache>,
    ) -> Result<Ranked, PredictError> {
        let plain = |spec: &MethodSpec| -> Result<Ranked, PredictError> {
            Ok(Ranked {
                scores: spec.ranker(score_methods)?.rank(view)?,
                embedder: None,
                cache_errors: Vec::new(),
            })
        };
        if !new_target || self.inductive_graph().is_none() {
            return plain(self);
        }
        match self {
            MethodSpec::Graph { graph, cv: false } => {
                let out = GraphRanker::new(*graph).rank_inductive_cached(view, cache)?;
                Ok(Ranked {
                    scores: out.scores,
                    embedder: Some(out.source),
                    cache_errors: out.cache_errors,
                })
            }
            MethodSpec::Blend { prior, learned } => {
                let mut r = learned.rank_target(view, score_methods, true, cache)?;
                r.scores = prior.blend(view, r.scores)?;
                Ok(r)
            }
            MethodSpec::Guard(inner) => {
                let mut r = inner.rank_target(view, score_methods, true, cache)?;
                lift_prior_top(view, &mut r.scores, GUARD_K);
                Ok(r)
            }
            other => plain(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::spec::all_methods;
    use zoorank_core::{Record, Zoo};

    #[test]
    fn every_listed_method_builds_a_ranker_with_its_own_id() {
        let scores = vec!["logme".to_string()];
        for m in all_methods(&scores) {
            let r = m.ranker(&scores).unwrap_or_else(|e| panic!("{m}: {e}"));
            assert_eq!(r.id(), m.to_string());
        }
    }

    #[test]
    fn a_score_the_zoo_lacks_is_an_error_naming_what_it_has() {
        let m: MethodSpec = "guard+parc".parse().unwrap();
        let e = m.ranker(&["logme".to_string()]).err().unwrap().to_string();
        assert!(e.contains("'parc'") && e.contains("stored: logme"), "{e}");
    }

    #[test]
    fn an_old_target_ranks_as_its_ranker_does() {
        let mut z = Zoo::from_names((0..6).map(|i| format!("m{i}")), ["a", "b", "c", "t"]);
        for d in 0..3 {
            for m in 0..6 {
                z.records
                    .push(Record::new(m, d, 0.5 + 0.05 * m as f64 + 0.01 * d as f64));
            }
        }
        let view = TargetView {
            zoo: z,
            target: 3,
            candidates: (0..6).collect(),
            seed: 0,
        };
        for id in ["guard+trend+lr", "pop+lr", "lr+node2vec"] {
            let m: MethodSpec = id.parse().unwrap();
            let a = m.rank_target(&view, &[], false, None).unwrap();
            assert_eq!(a.scores, m.ranker(&[]).unwrap().rank(&view).unwrap());
            assert!(a.embedder.is_none());
        }
        // A new target through a graph: the inductive path, with the guard applied after it.
        let m: MethodSpec = "guard+pop+lr+node2vec".parse().unwrap();
        let r = m.rank_target(&view, &[], true, None).unwrap();
        assert_eq!(r.embedder, Some(EmbedderSource::Trained));
        let mut inner = GraphRanker::new("lr+node2vec".parse().unwrap())
            .rank_inductive(&view)
            .unwrap();
        inner = Prior::Popularity.blend(&view, inner).unwrap();
        lift_prior_top(&view, &mut inner, GUARD_K);
        assert_eq!(r.scores, inner);
    }
}
