// Owns the end-to-end steps of pages (called from ../ui_e2e.cjs with its context).
module.exports = {
  zh: [],
  async run(ctx) {
    void ctx;
  },
};
