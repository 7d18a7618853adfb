import type { DeviceFence } from '../../train/engine';

/** The backend a ready worker trains and predicts on. */
export interface Device {
  fence: DeviceFence;
  /** The largest buffer the GPU allows, where it has a limit. */
  maxBufferBytes?: number;
}

/** Holds the device once the backend is set up; a request that needs it before then is refused with a reason. */
export class DeviceSlot {
  private device: Device | null = null;

  set(device: Device): void {
    this.device = device;
  }

  get maxBufferBytes(): number | undefined {
    return this.device?.maxBufferBytes;
  }

  ready(): Device {
    if (this.device === null) throw new Error('The worker is not ready: the backend has not started (or failed to).');
    return this.device;
  }
}
