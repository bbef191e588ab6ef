//! GraphSAGE ([`sage`]) and GAT ([`gat`]) on candle, trained for link prediction over node
//! features from metadata. One file per part:
//!
//! - [`features`]: the node input features ([`NodeFeatures`]);
//! - [`params`]: the parameters both share ([`GnnParams`]);
//! - [`layers`]: the [`layers::Encoder`] trait, the graph as index tensors, Glorot
//!   initialisation and chunked message passing (`index_select` / `index_add` only);
//! - [`sage`] and [`gat`]: the two encoders' layers;
//! - [`train`]: the link-prediction loss and the full-batch AdamW loop;
//! - [`arch`]: which encoder to build, for a fitted model and for saved bytes;
//! - [`fitted`]: the trained model ([`FittedGnn`]), its forward pass on other graphs and its
//!   bytes;
//! - [`embedders`]: the public embedders [`GraphSage`] and [`Gat`].
//!
//! Imports run one way, from the embedders down to the layers; nothing below imports what is
//! above it.
//!
//! Cost per epoch: O(E · h) for the message passing and O(N · f · h) for the dense layers; the
//! image zoo's graph (≈ 250 nodes, ≈ 3 000 edges) trains in well under a second.

pub mod arch;
pub mod embedders;
pub mod features;
pub mod fitted;
pub mod gat;
pub mod layers;
pub mod params;
pub mod sage;
pub mod train;

pub use embedders::{Gat, GraphSage};
pub use features::NodeFeatures;
pub use fitted::FittedGnn;
pub use params::GnnParams;
