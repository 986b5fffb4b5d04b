// Coalesces small stream writes (MQTT packets of a few dozen bytes) into one chunk per stream before
// they reach the stream layer. The stream layer keeps every written chunk until it is acknowledged and
// builds a STREAM frame from several chunks by copying; thousands of 64-byte chunks per round trip
// made acknowledgment processing and frame building cost per write instead of per packet. Here small
// writes are copied once into a per-stream staging buffer, which is handed over whole when it fills up,
// before a datagram is built, and before anything else touches the stream (FIN, reset).
//
// Staged bytes are accepted data: they are bounded by the staging size per stream, and a stream that
// cannot take them any more (the peer stopped it in between) drops them exactly as its send buffer would.

export interface StagedWrite {
  readonly streamId: number;
  readonly data: Uint8Array;
}

class Stage {
  buf: Uint8Array;
  length = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
  }
}

export class WriteCoalescer {
  /** Staging buffer size per stream; writes of at least a quarter of it go straight through. */
  readonly stageSize: number;
  private readonly stages = new Map<number, Stage>();

  constructor(stageSize: number) {
    this.stageSize = stageSize;
  }

  /** Whether `data` should be staged rather than written directly. */
  accepts(data: Uint8Array): boolean {
    return this.stageSize > 0 && data.length > 0 && data.length * 4 <= this.stageSize;
  }

  /** No stream holds a stage (takeAll() has nothing to return or to clean up). */
  get isEmpty(): boolean {
    return this.stages.size === 0;
  }

  /**
   * Copies `data` (accepts(data) must be true) into the stream's stage. When it does not fit, the
   * full stage is returned first for the caller to write to the stream layer.
   */
  append(streamId: number, data: Uint8Array): Uint8Array | undefined {
    let stage = this.stages.get(streamId);
    let full: Uint8Array | undefined;
    if (stage === undefined) {
      stage = new Stage(this.stageSize);
      this.stages.set(streamId, stage);
    } else if (stage.length + data.length > stage.buf.length) {
      full = this.handOver(stage);
    }
    stage.buf.set(data, stage.length);
    stage.length += data.length;
    return full;
  }

  /** Removes and returns the staged bytes of one stream. */
  take(streamId: number): Uint8Array | undefined {
    const stage = this.stages.get(streamId);
    if (stage === undefined) return undefined;
    this.stages.delete(streamId);
    return stage.length > 0 ? this.handOver(stage) : undefined;
  }

  /**
   * Removes and returns every stream's staged bytes, in the order the streams were first staged. A
   * stage that stayed empty since the last call is dropped, so only streams written lately keep one.
   */
  takeAll(): StagedWrite[] {
    const out: StagedWrite[] = [];
    for (const [streamId, stage] of this.stages) {
      if (stage.length === 0) this.stages.delete(streamId);
      else out.push({ streamId, data: this.handOver(stage) });
    }
    return out;
  }

  /**
   * The staged bytes as a chunk the stream layer may keep. A mostly full stage gives its buffer away
   * (a fresh one is allocated on the next write); a mostly empty one is copied out and reused, so a few
   * bytes written per datagram never pin a whole staging buffer until they are acknowledged.
   */
  private handOver(stage: Stage): Uint8Array {
    const n = stage.length;
    stage.length = 0;
    if (n * 2 >= stage.buf.length) {
      const data = stage.buf.subarray(0, n);
      stage.buf = new Uint8Array(this.stageSize);
      return data;
    }
    return stage.buf.slice(0, n);
  }

  /** Forgets a stream's staged bytes (the stream was reset: they will never be sent). */
  discard(streamId: number): void {
    this.stages.delete(streamId);
  }
}
