// Runs the known long files first. Jest orders by past durations when it has them and by file size
// otherwise: on a fresh clone (CI) a small tempest file that takes minutes would start last and
// stretch the run by that much.
const Sequencer = require('@jest/test-sequencer').default;

const SLOW_FIRST = [/interop-network\.e2e-spec\.ts$/, /interop\.e2e-spec\.ts$/, /network-dataplane\.e2e-spec\.ts$/];
const rank = (path) => {
  const index = SLOW_FIRST.findIndex((pattern) => pattern.test(path));
  return index < 0 ? SLOW_FIRST.length : index;
};

class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const ordered = super.sort(tests);
    return [...ordered].sort((a, b) => rank(a.path) - rank(b.path));
  }
}

module.exports = SlowFirstSequencer;
