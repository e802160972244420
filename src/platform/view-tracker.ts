/**
 * Bookkeeping of mapped views, shared by the three backends.
 *
 * koffi.view hands out plain ArrayBuffers over foreign memory, and those cannot be detached:
 * once user code holds one (mapping.buffer, or a view of part of a mapping), nothing can stop
 * it from reading or writing through it later, even after Section.close. If the address range
 * behind it had gone back to the OS, that access would crash the process, or worse, land in
 * whatever the OS mapped there next. So a stale view must never point at unmapped memory:
 * every ArrayBuffer over a mapping is counted, and the range is freed only once the mapping
 * has been retired (unmapped by its owner) and the last such ArrayBuffer has been collected.
 *
 * What happens to the pages between retire and free is up to the backend (POSIX swaps them
 * for private zero pages; Windows cannot, and keeps the view as it is); this class only
 * decides when the range may be freed.
 */
import koffi from 'koffi';
import { InvalidArgValueError } from '../errors.js';
import type { Mapping } from './types.js';

/** One mapping's bookkeeping: how many ArrayBuffers still point into it. */
export interface MappingState {
  readonly address: bigint;
  readonly length: number;
  /** Live ArrayBuffers over the range, mapping.buffer included. */
  views: number;
  /** Unmapped by its owner: the range is freed when `views` reaches 0. */
  retired: boolean;
}

/**
 * Counts the ArrayBuffers over each mapping and frees a retired mapping's range when the
 * last of them is garbage-collected. `Extra` is whatever else a backend keeps per mapping
 * (Windows: the object a view belongs to, for flush); it lives as long as the views do.
 */
export class ViewTracker<Extra extends object = Record<never, never>> {
  /** Only mappings not yet retired: an unmapped mapping is unknown from then on. */
  private readonly states = new WeakMap<Mapping, MappingState & Extra>();
  private readonly collector = new FinalizationRegistry<MappingState & Extra>((state) => this.release(state));

  /** `free` gives a range back to the OS: called once per mapping, after retire, with no views left. */
  constructor(private readonly free: (state: MappingState & Extra) => void) {}

  /**
   * Starts counting a fresh mapping, with mapping.buffer as its first view. The rest
   * parameter makes `extra` required exactly when the backend declared one.
   */
  track(mapping: Mapping, ...[extra]: Record<never, never> extends Extra ? [Extra?] : [Extra]): Mapping {
    const state = { ...extra, address: mapping.address, length: mapping.length, views: 1, retired: false } as MappingState & Extra;
    this.states.set(mapping, state);
    this.collector.register(mapping.buffer, state);
    return mapping;
  }

  /** The bookkeeping of a mapping that is tracked and not yet retired. */
  state(mapping: Mapping): (MappingState & Extra) | undefined {
    return this.states.get(mapping);
  }

  /** Another ArrayBuffer over part of a live mapping, counted like mapping.buffer. */
  view(mapping: Mapping, offset: number, length: number): ArrayBuffer {
    const state = this.states.get(mapping);
    if (!state || state.retired) throw new InvalidArgValueError('view of a mapping that was unmapped');
    const buffer = koffi.view(mapping.address + BigInt(offset), length);
    state.views++;
    this.collector.register(buffer, state);
    return buffer;
  }

  /**
   * Marks the mapping unmapped and forgets it, so that no new view can be made. With no view
   * left the range is freed at once and undefined is returned, as for a mapping that is
   * unknown or already retired. Otherwise the state is returned: the range stays mapped until
   * its last view is collected, and the backend may make it harmless in the meantime.
   */
  retire(mapping: Mapping): (MappingState & Extra) | undefined {
    const state = this.states.get(mapping);
    if (!state || state.retired) return undefined;
    state.retired = true;
    this.states.delete(mapping);
    if (state.views > 0) return state;
    this.free(state);
    return undefined;
  }

  private release(state: MappingState & Extra): void {
    state.views--;
    if (state.retired && state.views === 0) this.free(state);
  }
}
