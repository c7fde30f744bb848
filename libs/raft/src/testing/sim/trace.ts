import { type SimEvent, describeEvent } from "./sim-events.js";

interface Slot {
  index: number;
  time: number;
  event: SimEvent | null;
  notes: string[];
}

/**
 * The last few events of a run, kept in a ring so that recording costs nothing but a few assignments; they are
 * only turned into text when a run fails. Handlers may add notes (what a fault did) to the current event.
 */
export class TraceRing {
  private readonly slots: Slot[];
  private next = 0;
  private count = 0;

  constructor(size: number) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => ({ index: 0, time: 0, event: null, notes: [] }));
  }

  /** Starts the entry of event number `index`. */
  record(index: number, time: number, event: SimEvent): void {
    const s = this.slots[this.next] as Slot;
    s.index = index;
    s.time = time;
    s.event = event;
    if (s.notes.length > 0) s.notes = [];
    this.next = (this.next + 1) % this.slots.length;
    this.count++;
  }

  /** Adds a note to the current event. */
  note(text: string): void {
    if (this.count === 0) return;
    const cur = this.slots[(this.next + this.slots.length - 1) % this.slots.length] as Slot;
    cur.notes.push(text);
  }

  /** The recorded events, oldest first, one line each (notes indented below). */
  lines(): string[] {
    const n = Math.min(this.count, this.slots.length);
    const out: string[] = [];
    for (let k = 0; k < n; k++) {
      const s = this.slots[(this.next - n + k + this.slots.length) % this.slots.length] as Slot;
      if (!s.event) continue;
      out.push(`#${s.index} t=${s.time.toFixed(2)} ${describeEvent(s.event)}`);
      for (const note of s.notes) out.push(`    ${note}`);
    }
    return out;
  }
}
