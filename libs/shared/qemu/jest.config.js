module.exports = {
  displayName: 'shared-qemu',
  preset: '../../../jest.preset.js',
  rootDir: '.',
};
