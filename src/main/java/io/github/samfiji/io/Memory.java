package io.github.samfiji.io;

/** The Java heap a new allocation can still have: what memory plans (image headers, full-size results) check. */
public final class Memory {

    private Memory() {
    }

    /** Free heap now, after a full garbage collection if asked (what looks used may be garbage not yet collected). */
    public static long freeHeap(boolean collectFirst) {
        Runtime r = Runtime.getRuntime();
        if (collectFirst) {
            System.gc();
        }
        return r.maxMemory() - (r.totalMemory() - r.freeMemory());
    }
}
