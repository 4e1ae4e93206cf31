package dev.baton.redis;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code inspect.lua}, typed: what the node learns of Redis in one call (the cluster marker, the
 * data it keeps, the permissions it grants). Its keys and arguments are stated here only; its reply
 * is decoded by {@link Inspection}.
 */
public final class InspectScript {
  public static final Script SCRIPT = Script.load("inspect");

  private InspectScript() {}

  /** The keys it reads; the permissions-only call names none. */
  public static List<String> keys(Keys keys) {
    return List.of(keys.marker(), keys.epoch(), keys.stats(), keys.messages());
  }

  /**
   * {@code markerId} is written when no marker exists ("" in the permissions-only call, which names
   * no key); {@code permissions}, when not null, are checked.
   */
  public static List<String> args(String markerId, Permissions permissions) {
    List<String> args = new ArrayList<>();
    args.add(markerId);
    args.add(Keys.HANDLERS_GROUP);
    args.add(Script.flag(permissions != null));
    if (permissions != null) {
      for (Permissions.Need need : permissions.needs()) {
        args.add(Integer.toString(need.words().size()));
        args.addAll(need.words());
      }
    }
    return args;
  }
}
