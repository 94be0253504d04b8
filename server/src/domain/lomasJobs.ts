import { randomUUID } from 'node:crypto';
import { LomasError } from 'lomas-kernel/protocol';
import type { LomasExceptionBody, LomasJob, LomasJobResult } from './lomasSchemas';

export interface LomasJobsOptions {
  /** How long a finished job can be read (default 15 minutes: the client polls at once). */
  ttlMs?: number;
  /** Most jobs kept, which bounds the memory their answers take; the oldest go first (default 2,000). */
  maxJobs?: number;
  now?: () => number;
}

/**
 * The client's jobs: its cost and query calls answer 202 with a uid, then poll /status/{uid}.
 * Here a job's work is done before the 202 is sent (refusals come back at once, in the client's
 * error types, and nothing is charged for them), so a job is only its stored answer, readable by
 * the user who asked, for a while. The store is this process's memory: behind several replicas the
 * client's poll must reach the replica that answered (sticky sessions), see docs/MIGRATION.md.
 */
export class LomasJobs {
  private readonly jobs = new Map<string, { job: LomasJob; at: number }>();
  private readonly ttlMs: number;
  private readonly maxJobs: number;
  private readonly now: () => number;

  constructor(opts: LomasJobsOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 900_000;
    this.maxJobs = opts.maxJobs ?? 2_000;
    this.now = opts.now ?? Date.now;
  }

  /** Stores a finished job and returns it. */
  finish(
    user: string,
    outcome: { result: LomasJobResult } | { error: LomasExceptionBody; status: number }
  ): LomasJob {
    this.forgetOld();
    const uid = randomUUID();
    const job: LomasJob =
      'result' in outcome
        ? {
            uid,
            requested_by: user,
            status: 'complete',
            result: outcome.result,
            error: null,
            status_code: 200
          }
        : {
            uid,
            requested_by: user,
            status: 'failed',
            result: null,
            error: outcome.error,
            status_code: outcome.status
          };
    this.jobs.set(uid, { job, at: this.now() });
    return job;
  }

  /** The job, for the user who asked for it; other users' and unknown uids answer alike. */
  get(user: string, uid: string): LomasJob {
    const entry = this.jobs.get(uid);
    if (!entry || entry.job.requested_by !== user || this.now() - entry.at > this.ttlMs)
      throw new LomasError('NOT_FOUND', { what: `Job ${uid.slice(0, 64)}` });
    return entry.job;
  }

  get size(): number {
    return this.jobs.size;
  }

  private forgetOld(): void {
    const cutoff = this.now() - this.ttlMs;
    // A Map iterates in insertion order: the oldest first.
    for (const [uid, { at }] of this.jobs) {
      if (at >= cutoff && this.jobs.size < this.maxJobs) break;
      this.jobs.delete(uid);
    }
  }
}
