module.exports = {
  displayName: 'overcast',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testSequencer: './test/slow-first.sequencer.js',
  // The end-to-end files mostly wait (on tempest's sleeps, guests, other processes): three run at
  // once, the longest (the network interop run, ~11 min) beside the others. Jest's default on 2
  // cores is one, which ran them one after the other (~25 min).
  maxWorkers: 3,
};
