// The PCI diagnostic path: a GPU seen only through its PCI function — its topology node and its
// status registers, read through the register BAR (src/pci), with no /dev/kfd and no VM. Everything
// that would need the kernel's compute path (memory, queues, interrupts) is refused, loudly.
import type { Host } from '../../os/host.js';
import { registerSnapshot } from '../../pci/snapshot.js';
import { DriverError } from '../errors.js';
import type { GpuNode } from '../topology.js';
import type { Allocation, Apertures, Backend, BackendEvent, CreatedQueue, WaitOutcome } from './backend.js';

export class PciBackend implements Backend {
  /** No GPU VM here, so no fault is ever reported. */
  readonly vmFault = undefined;

  constructor(private readonly host: Host, readonly node: GpuNode, readonly name: string) {}

  private refuse(what: string): never {
    throw new DriverError(this.name, `${what} is not supported on the PCI diagnostic backend (it reads device info and registers only; open the GPU through KFD to use it)`, { kind: 'input' });
  }

  get apertures(): Apertures {
    return this.refuse('a process VM (apertures)');
  }

  alloc(): Allocation {
    return this.refuse('allocating GPU memory');
  }

  free(): void {
    this.refuse('freeing GPU memory');
  }

  map(): number {
    return this.refuse('mapping GPU memory');
  }

  unmap(): void {
    this.refuse('unmapping GPU memory');
  }

  createQueue(): CreatedQueue {
    return this.refuse('creating a queue');
  }

  destroyQueue(): void {
    this.refuse('destroying a queue');
  }

  createEvent(): BackendEvent {
    return this.refuse('creating an event');
  }

  destroyEvent(): void {
    this.refuse('destroying an event');
  }

  waitEvents(): WaitOutcome {
    return this.refuse('waiting for an interrupt');
  }

  registerSnapshot(): string {
    return registerSnapshot(this.host, this.node.pciAddress);
  }

  close(): void {}
}
