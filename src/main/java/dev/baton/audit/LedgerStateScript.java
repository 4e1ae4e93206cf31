package dev.baton.audit;

import dev.baton.redis.Keys;
import dev.baton.redis.Script;
import java.util.List;

/**
 * {@code ledger-state.lua}, typed: the ledger's counts and where it began, read in one call. Its
 * keys and arguments are stated here only; its reply is judged by {@link Completeness}.
 */
public final class LedgerStateScript {
  public static final Script SCRIPT = Script.load("ledger-state");

  private LedgerStateScript() {}

  public static List<String> keys(Keys keys) {
    return List.of(
        keys.stats(),
        keys.auditPublished(),
        keys.auditCommitted(),
        keys.auditDrained(),
        keys.marker());
  }

  public static List<String> args() {
    return List.of();
  }
}
