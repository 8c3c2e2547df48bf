import { spawn } from 'node:child_process';
import { access, constants, readdir } from 'node:fs/promises';

/** The acceleration chosen, and why, in words for `os-hypervisors` and the agent's log. */
export interface VirtTypeChoice {
  virtType: 'kvm' | 'qemu';
  reason: string;
}

/** What the probe kernel prints once it runs in long mode (with earlyprintk); setup code runs before it. */
const KERNEL_BANNER = 'Linux version';

/** The newest kernel in /boot, for the probe. */
async function newestBootKernel(): Promise<string | undefined> {
  const kernels = (await readdir('/boot').catch(() => [])).filter((name) => name.startsWith('vmlinuz-'));
  kernels.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const newest = kernels.at(-1);
  return newest === undefined ? undefined : `/boot/${newest}`;
}

/**
 * Whether a guest really runs under KVM here. /dev/kvm may open and still hang guests (nested
 * virtualisation in a microVM: SeaBIOS and a kernel's real-mode setup run, the kernel never
 * reaches long mode), so the probe boots a real kernel under `-accel kvm` for `seconds` and looks
 * for its banner on the serial port. Nothing else proves the vCPU runs what guests run.
 */
export async function probeKvm(seconds: number, kernel?: string): Promise<VirtTypeChoice> {
  const tcg = (why: string): VirtTypeChoice => ({ virtType: 'qemu', reason: `KVM probe: ${why}; using TCG` });
  if (!(await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false))) {
    return tcg('/dev/kvm is missing or not usable');
  }
  const probeKernel = kernel ?? (await newestBootKernel());
  if (probeKernel === undefined) {
    return tcg('no kernel in /boot to boot (set kvmProbeKernel, or virtType kvm to skip the probe)');
  }
  const output = await bootBriefly(probeKernel, seconds);
  if (output.includes(KERNEL_BANNER)) {
    return { virtType: 'kvm', reason: `KVM probe: ${probeKernel} booted under KVM within ${seconds} s` };
  }
  const qemuError = /qemu-system-x86_64: (.*)/.exec(output)?.[1];
  if (qemuError !== undefined && !qemuError.includes('terminating on signal') && !qemuError.includes('warning')) {
    return tcg(`qemu could not start a KVM guest (${qemuError})`);
  }
  return tcg(`guest made no progress in ${seconds} s (the kernel never printed its banner)`);
}

/** Boots `kernel` with KVM and no disk, its serial port on stdout, and kills it after `seconds` or once the banner shows. */
function bootBriefly(kernel: string, seconds: number): Promise<string> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(
      'qemu-system-x86_64',
      ['-accel', 'kvm', '-nodefaults', '-display', 'none', '-m', '128', '-no-reboot', '-kernel', kernel, '-append', 'console=ttyS0 earlyprintk=serial,ttyS0 panic=-1', '-serial', 'stdio', '-monitor', 'none'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
    const record = (chunk: Buffer) => {
      output += chunk.toString('latin1');
      if (output.includes(KERNEL_BANNER)) {
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', record);
    child.stderr.on('data', record);
    // A qemu that cannot start emits 'error' and may never emit 'close'.
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(`${output}qemu-system-x86_64: ${error.message}`);
    });
    child.once('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}
