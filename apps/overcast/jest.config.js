module.exports = {
  displayName: 'overcast',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testSequencer: './test/slow-first.sequencer.js',
};
