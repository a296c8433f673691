import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";

/**
 * Durable notes "this backend is creating bucket X" in its state directory. MinIO keeps no bucket owner (and
 * bucket tags are the tenant's to edit), so a bucket is ours once the provider's store records it; a crash
 * between CreateBucket and that record would leave a bucket that looks like someone else's. The note, written
 * before CreateBucket and removed once the store has the record, tells the next call it was making it.
 */
export class PendingCreations {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, "creating");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  note(bucketName: string): void {
    const fd = openSync(join(this.dir, bucketName), "w", 0o600);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const dirFd = openSync(this.dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  has(bucketName: string): boolean {
    return existsSync(join(this.dir, bucketName));
  }

  done(bucketName: string): void {
    rmSync(join(this.dir, bucketName), { force: true });
  }
}
