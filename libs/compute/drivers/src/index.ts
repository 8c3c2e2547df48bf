export * from './hypervisor-driver';
export * from './fake/fake-hypervisor-driver';
export * from './libvirt/libvirt-settings';
export * from './libvirt/libvirt-driver';
export * from './registry';
