module.exports = {
  displayName: 'block-storage-agent-lib',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
