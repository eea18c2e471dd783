/** Smallest and largest buffers kept for reuse: 4 KiB (node pools below that itself) to 16 MiB. */
const MIN_SHIFT = 12
const MAX_SHIFT = 24

/**
 * Buffers for answers that are written once and then sent, reused once the send is done.
 * Allocating a fresh buffer per answer cost a 100-entity online answer (~200 KB) 15 % of its
 * rendering time and a one-entity answer 25 %: each is a new ArrayBuffer outside the heap, and
 * V8 answers that external memory with extra garbage collections.
 *
 * Sizes round up to a power of two; each size keeps at most `perSize` free buffers, so the pool
 * holds at most what that many concurrent answers of each size needed. A buffer must be given
 * back only when nothing reads it any more (an HTTP response's `finish`: the socket has handed
 * its bytes to the kernel); one never given back is simply collected.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[][] = Array.from({ length: MAX_SHIFT + 1 }, () => [])
  /** What `take` made: nothing else is ever handed out again. */
  private readonly made = new WeakSet<ArrayBuffer>()

  constructor(private readonly perSize = 32) {}

  /** A buffer of at least `size` bytes, of unspecified content. */
  take(size: number): Buffer {
    const shift = sizeShift(size)
    if (shift > MAX_SHIFT) return Buffer.allocUnsafeSlow(size)
    let memory = this.free[shift]!.pop()
    if (!memory) this.made.add((memory = new ArrayBuffer(1 << shift)))
    return Buffer.from(memory)
  }

  /** Gives back a buffer from `take` (or any view of it) once nothing reads it any more. */
  give(view: Uint8Array): void {
    const memory = view.buffer as ArrayBuffer
    if (!this.made.has(memory)) return
    const free = this.free[sizeShift(memory.byteLength)]!
    if (free.length < this.perSize && !free.includes(memory)) free.push(memory)
  }
}

function sizeShift(size: number): number {
  return Math.max(MIN_SHIFT, 32 - Math.clz32(Math.max(1, size) - 1))
}
