//! Recording storage (see design/storage.md): append-only fMP4 media files per camera,
//! recordings as index entries over their fragments, batched index commits, crash recovery
//! and on-the-fly downloads.

pub mod download;
pub mod file;
pub mod frames;
pub mod index;
pub mod lifecycle;
pub mod orphans;
pub mod recorder;
pub mod recovery;
pub mod retention;
