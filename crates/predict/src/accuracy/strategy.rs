//! Which model to fine-tune next on the target, given the runs made so far: the strategies of
//! a budgeted loop (`zoorank next`, `zoorank eval --reveal`).
//!
//! A strategy sees the [`Conditioned`] state (predictions, expert disagreement, which models
//! were observed) and the candidates' clusters, never an unobserved accuracy.
//!
//! | id | picks |
//! |---|---|
//! | `top` | the best-predicted model not yet run |
//! | `clusters` | two-phase recall: the best-predicted model of each cluster of models that behave alike on the zoo's datasets, clusters in the order of their best prediction, one model per cluster before a second |
//! | `explore` | the largest predicted logit + one expert standard deviation (an upper confidence bound): likely to be good **and** informative, since the models the experts disagree on are those a run tells most about |
//! | `survey` | the best-predicted model first, then models spread over the current ranking, at rank fractions ½, ¼, ¾, ⅛, … of the models not yet run ([`survey_fraction`]): runs far apart in the ranking show both how good the target's models are and how far apart they lie, so the predictions of the rest come out closest; the price is runs spent on models not expected to be the best |
//!
//! Every strategy makes its first pick by its own rule. After that, while candidates that the
//! zoo says were already fine-tuned on the target are left (their source dataset or their
//! name says so: [`super::trained::trained_on_target`]), it picks among those first. Such a
//! model has learnt the target's task, which the history cannot show (its records are of
//! other datasets); on the two-phase zoo the best model of CoLA, QQP and QNLI is one of them,
//! and popularity ranks CoLA's 15th. The first pick stays the method's, so a zoo whose models
//! are named after their data does not trade the method's best guess for a name.

use super::experts::Experts;
use super::Conditioned;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use zoorank_core::ModelIdx;
use zoorank_select::cluster::hierarchical;
use zoorank_select::similarity::{model_distances, DEFAULT_K};
use zoorank_select::PerformanceMatrix;

/// How many expert standard deviations `explore` adds to the prediction (one, fixed a priori).
pub const EXPLORE_KAPPA: f64 = 1.0;
/// Merge threshold on the top-k accuracy gap for [`clusters`] (the two-phase paper's value
/// for image models; text models use 0.09 there).
pub const CLUSTER_THRESHOLD: f64 = 0.05;

/// A strategy of the budgeted loop (module docs); serialised as its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Strategy {
    /// Best predicted first.
    Top,
    /// Cluster representatives.
    Clusters,
    /// Upper confidence bound.
    Explore,
    /// The best predicted, then runs spread over the ranking.
    Survey,
}

impl Strategy {
    /// Every strategy, the default (`explore`) first.
    pub const ALL: [Strategy; 4] = [
        Strategy::Explore,
        Strategy::Top,
        Strategy::Clusters,
        Strategy::Survey,
    ];

    /// Whether the strategy spends its runs on finding the best model (all but `survey`,
    /// which spends them on placing the predictions of the rest).
    pub fn seeks_the_best(self) -> bool {
        self != Strategy::Survey
    }

    /// The next model to run among the candidates of `state` not yet observed (`None` when
    /// every one was). `clusters` is one cluster id per candidate (see [`clusters`]). After
    /// the first run, candidates trained on the target come first (module docs).
    pub fn pick(self, state: &Conditioned, clusters: &[usize]) -> Option<ModelIdx> {
        let all: Vec<usize> = (0..state.models.len())
            .filter(|&i| !state.observed[i])
            .collect();
        let trained: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| state.trained_on_target.get(i) == Some(&true))
            .collect();
        let trained_first = state.past_first_pick() && !trained.is_empty();
        let open = if trained_first { trained } else { all };
        let open = open.iter().copied();
        let best_by = |key: &dyn Fn(usize) -> f64| {
            open.clone()
                .max_by(|&a, &b| {
                    key(a)
                        .total_cmp(&key(b))
                        .then(state.models[b].cmp(&state.models[a]))
                })
                .map(|i| state.models[i])
        };
        match self {
            Strategy::Top => best_by(&|i| state.scores[i]),
            Strategy::Explore => best_by(&|i| state.logits[i] + EXPLORE_KAPPA * state.spread[i]),
            Strategy::Survey if trained_first => best_by(&|i| state.scores[i]),
            Strategy::Survey => {
                let mut ranked: Vec<usize> = open.collect();
                ranked.sort_by(|&a, &b| {
                    state.scores[b]
                        .total_cmp(&state.scores[a])
                        .then(state.models[a].cmp(&state.models[b]))
                });
                let at = (survey_fraction(state) * ranked.len() as f64) as usize;
                ranked
                    .get(at.min(ranked.len().saturating_sub(1)))
                    .map(|&i| state.models[i])
            }
            Strategy::Clusters => {
                // Runs so far per cluster; the least-run clusters compete, by their best
                // open prediction.
                let n_clusters = clusters.iter().copied().max().map_or(0, |c| c + 1);
                let mut runs = vec![0usize; n_clusters];
                for (i, &c) in clusters.iter().enumerate() {
                    if state.observed[i] {
                        runs[c] += 1;
                    }
                }
                let fewest = open.clone().map(|i| runs[clusters[i]]).min()?;
                open.clone()
                    .filter(|&i| runs[clusters[i]] == fewest)
                    .max_by(|&a, &b| {
                        state.scores[a]
                            .total_cmp(&state.scores[b])
                            .then(state.models[b].cmp(&state.models[a]))
                    })
                    .map(|i| state.models[i])
            }
        }
    }
}

/// Where `survey`'s next pick lies in the ranking of the models not yet run (0 = the best
/// predicted, ½ = the middle): the `j`-th term of the base-2 van der Corput sequence (0, ½, ¼,
/// ¾, ⅛, ⅝, …), `j` the runs made so far of models not trained on the target (those are the
/// strategies' shared rule, not survey runs). Every prefix of the sequence is spread evenly
/// over the ranking, so the picks need no budget: after any number of runs they cover it
/// about as well as that many runs can.
pub fn survey_fraction(state: &Conditioned) -> f64 {
    let j = (0..state.observed.len())
        .filter(|&i| state.observed[i] && state.trained_on_target.get(i) != Some(&true))
        .count();
    let (mut x, mut digit, mut rest) = (0.0, 0.5, j);
    while rest > 0 {
        if rest & 1 == 1 {
            x += digit;
        }
        digit /= 2.0;
        rest >>= 1;
    }
    x
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Top => "top",
            Strategy::Clusters => "clusters",
            Strategy::Explore => "explore",
            Strategy::Survey => "survey",
        })
    }
}

impl From<Strategy> for String {
    fn from(s: Strategy) -> String {
        s.to_string()
    }
}

impl TryFrom<String> for Strategy {
    type Error = String;
    fn try_from(s: String) -> Result<Strategy, String> {
        s.parse()
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Strategy, String> {
        Strategy::ALL
            .into_iter()
            .find(|x| x.to_string() == s)
            .ok_or_else(|| {
                let valid: Vec<String> = Strategy::ALL.iter().map(|x| x.to_string()).collect();
                format!(
                    "unknown strategy '{s}': valid strategies are {}",
                    valid.join(", ")
                )
            })
    }
}

/// A cluster id per candidate of `models`: average-linkage clusters (cut at
/// [`CLUSTER_THRESHOLD`]) of the models' accuracies over the experts' training datasets,
/// compared by the mean of their five largest gaps (the two-phase paper's similarity). A model
/// without records is its own cluster.
pub fn clusters(models: &[ModelIdx], experts: &Experts, best: &[Vec<Option<f64>>]) -> Vec<usize> {
    let rows: Vec<Vec<Option<f64>>> = models
        .iter()
        .map(|&m| experts.datasets.iter().map(|&d| best[d][m]).collect())
        .collect();
    let names: Vec<String> = models.iter().map(|m| m.to_string()).collect();
    let datasets: Vec<String> = experts.datasets.iter().map(|d| d.to_string()).collect();
    let labels = PerformanceMatrix::new(names, datasets, rows)
        .and_then(|pm| model_distances(&pm, DEFAULT_K))
        .and_then(|dist| hierarchical(&dist, CLUSTER_THRESHOLD));
    match labels {
        Ok(c) => {
            let mut out = vec![0; models.len()];
            for (id, members) in c.clusters().into_iter().enumerate() {
                for i in members {
                    out[i] = id;
                }
            }
            out
        }
        // Accuracies are finite and the threshold valid; should that ever fail, every model
        // is its own cluster (the strategy is then `top`).
        Err(_) => (0..models.len()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(scores: &[f64], spread: &[f64], observed: &[bool]) -> Conditioned {
        Conditioned {
            models: (0..scores.len()).collect(),
            logits: scores.to_vec(),
            spread: spread.to_vec(),
            observed: observed.to_vec(),
            scores: scores.to_vec(),
            trained_on_target: vec![false; scores.len()],
        }
    }

    #[test]
    fn after_the_first_run_models_trained_on_the_target_come_first() {
        let mut s = state(&[2.0, 1.9, 1.0, 0.5], &[0.0, 0.1, 1.5, 0.2], &[false; 4]);
        s.trained_on_target = vec![false, false, true, true];
        // The first pick is the strategy's own.
        assert_eq!(Strategy::Top.pick(&s, &[0, 1, 2, 3]), Some(0));
        assert_eq!(Strategy::Explore.pick(&s, &[0, 1, 2, 3]), Some(2));
        // Then the trained ones, best by the strategy's key first, ...
        s.observed[0] = true;
        for strategy in Strategy::ALL {
            assert_eq!(strategy.pick(&s, &[0, 1, 2, 3]), Some(2), "{strategy}");
        }
        s.observed[2] = true;
        assert_eq!(Strategy::Top.pick(&s, &[0, 1, 2, 3]), Some(3));
        // ... and the others once they have all run.
        s.observed[3] = true;
        assert_eq!(Strategy::Top.pick(&s, &[0, 1, 2, 3]), Some(1));
    }

    #[test]
    fn strategies_pick_as_documented() {
        let s = state(&[2.0, 1.9, 1.0, 0.5], &[0.0, 0.1, 1.5, 0.2], &[false; 4]);
        assert_eq!(Strategy::Top.pick(&s, &[0, 0, 1, 2]), Some(0));
        assert_eq!(Strategy::Explore.pick(&s, &[0, 0, 1, 2]), Some(2));
        // After model 0 ran, clusters moves to the best of another cluster, top stays.
        let s = state(
            &[2.0, 1.9, 1.0, 0.5],
            &[0.0; 4],
            &[true, false, false, false],
        );
        assert_eq!(Strategy::Top.pick(&s, &[0, 0, 1, 2]), Some(1));
        assert_eq!(Strategy::Clusters.pick(&s, &[0, 0, 1, 2]), Some(2));
        // Nothing left.
        let s = state(&[1.0], &[0.0], &[true]);
        assert_eq!(Strategy::Explore.pick(&s, &[0]), None);
    }

    #[test]
    fn survey_runs_the_best_then_spreads_over_the_ranking() {
        // 9 candidates, scores 8..0: model i is ranked i-th.
        let scores: Vec<f64> = (0..9).rev().map(f64::from).collect();
        let mut s = state(&scores, &[0.0; 9], &[false; 9]);
        let cl: Vec<usize> = (0..9).collect();
        let mut picks = Vec::new();
        while let Some(m) = Strategy::Survey.pick(&s, &cl) {
            picks.push(m);
            s.observed[m] = true;
        }
        // Best; then the middle of the 8 left (rank 4 of 1..8: model 5); then a quarter
        // down the 7 left (model 2); three quarters down the 6 left (model 7); ...
        assert_eq!(&picks[..4], &[0, 5, 2, 7]);
        assert_eq!(picks.len(), 9);
        let fractions: Vec<f64> = (0..5)
            .map(|j| {
                let mut t = state(&scores, &[0.0; 9], &[false; 9]);
                for o in t.observed.iter_mut().take(j) {
                    *o = true;
                }
                survey_fraction(&t)
            })
            .collect();
        assert_eq!(fractions, vec![0.0, 0.5, 0.25, 0.75, 0.125]);
        // Runs of models trained on the target are not survey runs.
        let mut t = state(
            &scores,
            &[0.0; 9],
            &[true, true, false, false, false, false, false, false, false],
        );
        t.trained_on_target[1] = true;
        assert_eq!(survey_fraction(&t), 0.5);
        assert!(!Strategy::Survey.seeks_the_best());
        assert!(Strategy::ALL.iter().filter(|s| s.seeks_the_best()).count() == 3);
    }

    #[test]
    fn ids_round_trip_and_unknown_ones_list_the_valid() {
        for s in Strategy::ALL {
            assert_eq!(s.to_string().parse::<Strategy>(), Ok(s));
        }
        let e = "greedy".parse::<Strategy>().unwrap_err();
        assert!(e.contains("explore, top, clusters, survey"), "{e}");
    }
}
