################################################################################
#
# mibee-nvr
#
################################################################################

MIBEE_NVR_VERSION = 0.1.0
# The workspace root (Cargo.toml and the committed Cargo.lock); the crate is app/.
MIBEE_NVR_SITE = $(BR2_EXTERNAL_NVR_PATH)/..
MIBEE_NVR_SITE_METHOD = local
MIBEE_NVR_LICENSE = Proprietary
MIBEE_NVR_CARGO_BUILD_OPTS = -p mibee-nvr
MIBEE_NVR_CARGO_INSTALL_OPTS = --path app
# SITE_METHOD=local skips Buildroot's download step, so its cargo vendoring
# (support/download/cargo-post-process) does not run, and the build's
# `--offline --locked` would fail on our crates.io dependencies. The top-level
# `make br-cargo-fetch` fills CARGO_HOME=$(DL_DIR)/br-cargo-home from Cargo.lock first
# (`make buildroot-<board>` does it).
# The local site rsyncs the whole repository: keep build outputs (out/, target/) out of it.
MIBEE_NVR_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude out --exclude target --exclude .git

$(eval $(cargo-package))
