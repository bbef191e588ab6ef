//! zoorank store (work in progress).
