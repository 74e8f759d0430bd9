//! Transcoding: the one H.264 encoder abstraction (`encoder`), what the box has to encode
//! with (`probe`: V4L2 memory-to-memory codecs by capability, the CPU, memory), and the
//! truthful self-check behind `GET /api/transcoding/check`, measured once with a real short
//! encode and cached.

pub mod check;
pub mod encoder;
pub mod probe;
