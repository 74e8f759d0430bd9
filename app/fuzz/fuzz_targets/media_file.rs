//! Fuzzes every reader of media files (mibee_nvr::storage::fuzz::media_file): the fragment
//! walker behind recovery, downloads, frame lists and adoption, the moof readers and the
//! init segment reader, on truncated and hostile files. Seeds: app/fuzz/seeds/media_file
//! (fragmented MP4 as the recorder and ffmpeg write it).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mibee_nvr::storage::fuzz::media_file(data);
});
