//! Recording storage (see design/storage.md): append-only fMP4 media files per camera,
//! recordings as index entries over their fragments, batched index commits, crash recovery
//! and on-the-fly downloads.

pub mod download;
pub mod file;
pub mod fragments;
pub mod frames;
pub mod fuzz;
pub mod gop;
pub mod index;
pub mod lifecycle;
pub mod orphans;
pub mod reanchor;
pub mod recorder;
pub mod recovery;
pub mod retention;
pub mod writer;
