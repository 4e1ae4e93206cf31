package dev.baton.support;

import dev.baton.redis.Keys;

/**
 * Counts a ledger entry a test wrote by hand as the scripts count theirs (lua/lib/ledger.lua): the
 * counter in the stats hash, and where the ledger began at the first. Without it, verify cannot
 * show the ledger complete.
 */
public final class LedgerCounts {
  private LedgerCounts() {}

  /** {@code counter}: ledgerPublished, ledgerCommitted or ledgerDrained. */
  public static void count(TestRedis redis, Keys keys, String counter) {
    if (redis.num("HEXISTS", keys.stats(), "ledgerSince") == 0) {
      redis.cmd(
          "HSET",
          keys.stats(),
          "ledgerSince",
          "0",
          "ledgerRun",
          infoField(redis.str("INFO", "server"), "run_id"),
          "ledgerEvicted",
          infoField(redis.str("INFO", "stats"), "evicted_keys"),
          "ledgerPrior",
          "0");
    }
    redis.cmd("HINCRBY", keys.stats(), counter, "1");
  }

  private static String infoField(String info, String name) {
    for (String line : info.split("\\r?\\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return "";
  }
}
