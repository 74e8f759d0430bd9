//! Fuzzes every parse of an ONVIF device's reply (mibee_nvr::onvif::fuzz::reply): the
//! envelope check, oxvif's parsers behind the operations we call, our GetProfiles reader
//! and the WS-Discovery reader. Seeds: app/fuzz/seeds/onvif_reply (replies of the mock
//! camera, schema-valid, and of ipycam).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    mibee_nvr::onvif::fuzz::reply(data);
});
