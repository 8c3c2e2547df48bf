module.exports = {
  displayName: 'volume-agent',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
