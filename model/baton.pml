/*
 * Baton's coordination protocol as a Promela model (Spin 6.5). See docs/MODEL.md.
 *
 * One process per node (election + generator + handler + presence subscriber), one for Redis's own
 * moves (lease expiry, executing a stray in-flight publish) and one for the environment (faults).
 * Every Lua script is one atomic step; the table in docs/MODEL.md maps each step to its script.
 *
 * Switches (spin -D...): N nodes (2 or 3), M messages, F fault budget.
 * Broken variants, each of which check.sh must see rejected:
 *   UNFENCED         publish.lua without the compare of leader and epoch
 *   FENCE_NODE_ONLY  publish.lua compares the leader but not the epoch
 *   NO_XACK          commit.lua applies the effect without looking at XACK's answer
 *   NO_RUNID         presence predicates ignore the run id (no per-server-instance rule)
 *   NO_FLOOR         acquire.lua without the epoch floor
 *   NO_LATE_CHECK    the election acts on a grant whose reply came after its deadline
 *   NO_KEEPALIVE     the handler does not keep its claim fresh (hold.lua) while it works: long
 *                    work idles past reclaimIdleMs and is reclaimed from a live node
 *   NO_CLAIM_FENCE   commit.lua commits whatever XACK answers, without checking that the entry is
 *                    still pending on the caller under the delivery its attempt ran under
 * Scenario outside the design's assumptions (a finding, see docs/MODEL.md):
 *   FAILBACK         the primary changes back to an earlier server instance without a restart
 *                    (Sentinel failover and failback): the run id is the earlier one again
 */

#ifndef N
#define N 2
#endif
#ifndef M
#define M 2
#endif
#ifndef F
#define F 3
#endif

#ifndef MAXD
#define MAXD 2        /* handler.maxDeliveries: an attempt under this delivery count is the last one
                         (its failure is dead-lettered, which commits it like any outcome) */
#endif

#define NONE 255

/* stream entry states (index = publish order over the whole run, across Redis restarts) */
#define NOMSG 0   /* not published yet */
#define NEW   1   /* in the stream, not yet delivered to the group */
#define PEND  2   /* delivered, in the group's PEL (owner = consumer) */
#define DONE  3   /* acknowledged and deleted (committed or dead-lettered) */
#define LOST  4   /* lost with Redis's data (empty restart) before being committed */

/* presence record kinds in {p}:presence */
#define NOREC 0
#define LIVE  1   /* "<runId> <mode>" */
#define GONE  2   /* "gone <runId>" */

/* ---------------- Redis: the data (kept by an AOF restart, lost by an empty one) ------------ */
byte leader = NONE;   /* {p}:leader: holder node id; its TTL is abstracted (see Redis()) */
byte epoch = 0;       /* {p}:epoch */
byte presK[N];        /* {p}:presence: record kind per node */
byte presR[N];        /*               and the run id it names */
byte st[M];           /* {p}:messages + group handlers: entry state */
byte owner[M];        /*               consumer of a pending entry */
byte dc[M];           /*               its delivery count (XPENDING): the claim commits are fenced
                                       with, raised by every delivery and retry */
/* ---------------- Redis: the server instance (changes at every restart) -------------------- */
byte runid = 0;       /* INFO server run_id */
bool sub[N];          /* node n's presence subscription exists on this instance (numsub >= 1) */

/* ---------------- nodes (local memory; lost when the node crashes) ------------------------- */
bool alive[N];
bool frozen[N];       /* SIGSTOP / GC pause: does nothing, its sockets stay open */
bool lead[N];         /* ElectionVerticle.leader: believes it holds the lease */
byte ep[N];           /*   epoch of that belief */
byte myH[N];          /*   ghost: Redis history the grant was made in */
bool stale[N];        /* the belief is not backed by the node's own deadline (paused since, or the
                         lease was taken by presence or lost with the data) until a renewal succeeds */
byte maxSeen[N];      /* maxEpochSeen: the floor passed to acquire.lua */
byte rep[N];          /* a grant reply in flight: its epoch (0 = none) */
byte repH[N];
bool late[N];         /* the lease lapsed in Redis before the reply was read: past the deadline */
bool repStale[N];     /* presence took the lease over while the reply was in flight */
byte genEp[N];        /* GeneratorVerticle instance deployed for this epoch (0 = handler role) */
byte genH[N];
bool genFenced[N];    /* the instance met the fence and stopped */
byte strayEp[N];      /* a publish call of a stopped generator instance still in flight */
byte strayH[N];
byte held[N];         /* handler: entries read (or claimed) and not yet committed, bit per entry */
byte hdc[N * M];      /*   the delivery count its work on each held entry runs under (HDC); an
                           entry held and not yet committed is work in progress, of any length */
bool needReg[N];      /* subscribed, presence.lua not yet run since */
bool reg1[N];         /* presence.lua succeeded at least once since this process started */

/* ---------------- ghosts (observers only) -------------------------------------------------- */
byte hist = 0;        /* Redis history: +1 at every empty restart */
byte nextMsg = 0;     /* messages published so far (all histories) */
byte maxPubEp = 0;    /* highest epoch published in this history */
byte applied[M];      /* how many times the entry's effect was applied */
bool lostHere[N];     /* n's presence subscription was dropped on this server instance (crash,
                         stop, broken connection) since n last registered: the only thing that
                         entitles presence to declare n dead */
bool procLost[N];     /* the same, for the current process of node n only (STRICT_PRESENCE) */
byte budget = F;      /* faults left */
#ifdef SHORTEST
byte c, x;            /* scratch (pan's BFS, for shortest trails, refuses hidden variables) */
#else
hidden byte c, x;     /* scratch, not part of the state */
#endif
#ifdef FAILBACK
byte runs = 0;        /* run ids handed out so far: a restart always gets a fresh one */
byte prevRun = 0;     /* the instance that was primary before this one */
#define NEWRUN      prevRun = runid; runs++; runid = runs
#else
#define NEWRUN      runid++
#endif

#define up(n)     (alive[n] && !frozen[n])
#define BIT(m)    (1 << (m))

/* ---------------- presence predicates (evaluated inside scripts) --------------------------- */
#ifdef NO_RUNID
#define CUR(n)    true
#else
#define CUR(n)    (presR[n] == runid)
#endif
#define vanished(n) (presK[n] == LIVE && CUR(n) && !sub[n])
#define gone(n)     (presK[n] == GONE && CUR(n))
/* (d) presence never declares a node dead that is alive and whose subscription on this server
   instance was never lost: in particular a Redis restart alone declares nobody dead */
#define truthful(n) assert(!alive[n] || lostHere[n])
/* (d') STRICT_PRESENCE: presence never takes from a live process what that process obtained (a
   grant, an entry it holds) unless that process's own subscription was lost on this instance */
#ifdef STRICT_PRESENCE
#define strictTake(n, has) assert(!(alive[n] && (has)) || procLost[n])
#else
#define strictTake(n, has) skip
#endif
/* TIMELY (liveness runs only): Spin's weak fairness is per process, so a node could take its
   claim step forever while its commit stays enabled. In Baton a claimer commits what it claimed,
   and runs presence.lua after a subscribe, within milliseconds, long before its next watch poll
   (presence.watchMs): a node claims only when it holds nothing and has no registration due. */
#ifdef TIMELY
#define CLAIMREADY(n) (held[n] == 0 && !needReg[n])
#else
#define CLAIMREADY(n) true
#endif
/* REGISTER_FIRST: a process acquires, reads and claims only after its first presence.lua */
#ifdef REGISTER_FIRST
#define READY(n) reg1[n]
#else
#define READY(n) true
#endif

/* ---------------- publish.lua's fence ------------------------------------------------------ */
#if defined(UNFENCED)
#define FENCE(n, e) true
#elif defined(FENCE_NODE_ONLY)
#define FENCE(n, e) (leader == n)
#else
#define FENCE(n, e) (leader == n && epoch == e)
#endif

#define HDC(n, m)    hdc[(n) * M + (m)]
/* n takes entry m under a new delivery: its work starts afresh (Dispatcher.accept) */
#define TAKE(n, m)   held[n] = held[n] | BIT(m); HDC(n, m) = dc[m]
#define PENDON(m, n) (st[m] == PEND && owner[m] == n)
/* the claim n's work on m runs under is still the entry's (hold.lua's and commit.lua's check) */
#define CURRENT(n, m) (PENDON(m, n) && dc[m] == HDC(n, m))
#define UNHELD(m, n) (PENDON(m, n) && !(held[n] & BIT(m)))
#define STALEHELD(n, m) ((held[n] & BIT(m)) && !CURRENT(n, m))
#if M == 1
#define SUPERSEDED(n) STALEHELD(n, 0)
#define HASPEND(n)  PENDON(0, n)
#define OWNUNHELD(n) UNHELD(0, n)
#define SETTLED     (st[0] >= DONE)
#elif M == 2
#define SUPERSEDED(n) (STALEHELD(n, 0) || STALEHELD(n, 1))
#define HASPEND(n)  (PENDON(0, n) || PENDON(1, n))
#define OWNUNHELD(n) (UNHELD(0, n) || UNHELD(1, n))
#define SETTLED     (st[0] >= DONE && st[1] >= DONE)
#else
#define SUPERSEDED(n) (STALEHELD(n, 0) || STALEHELD(n, 1) || STALEHELD(n, 2))
#define HASPEND(n)  (PENDON(0, n) || PENDON(1, n) || PENDON(2, n))
#define OWNUNHELD(n) (UNHELD(0, n) || UNHELD(1, n) || UNHELD(2, n))
#define SETTLED     (st[0] >= DONE && st[1] >= DONE && st[2] >= DONE)
#endif

#if N == 2
#define ANYUP       (up(0) || up(1))
#define ALLUP       (up(0) && up(1))
#else
#define ANYUP       (up(0) || up(1) || up(2))
#define ALLUP       (up(0) && up(1) && up(2))
#endif

/* one option per node / per entry */
#if N == 2
#define EACHN(S)    :: S(0) :: S(1)
#define EACHN2(S,a) :: S(a,0) :: S(a,1)
#else
#define EACHN(S)    :: S(0) :: S(1) :: S(2)
#define EACHN2(S,a) :: S(a,0) :: S(a,1) :: S(a,2)
#endif
#if M == 1
#define EACHM(S,a)  :: S(a,0)
#elif M == 2
#define EACHM(S,a)  :: S(a,0) :: S(a,1)
#else
#define EACHM(S,a)  :: S(a,0) :: S(a,1) :: S(a,2)
#endif

/* ================= the scripts (each one atomic step, called from the steps below) ========== */

/* acquire.lua, granting branch: SET leader, INCR epoch (with the floor), XADD grants */
inline grant(n) {
  leader = n;
  epoch++;
#ifndef NO_FLOOR
  if
  :: epoch <= maxSeen[n] -> epoch = maxSeen[n] + 1
  :: else
  fi;
#endif
  rep[n] = epoch; repH[n] = hist; late[n] = false
}

/* publish.lua once the fence passed: XADD */
inline accepted(e, h) {
  assert(e >= maxPubEp);   /* (a) no older epoch is published after a newer one */
#ifndef NO_A2
  assert(h == hist);       /* (a2) no generator granted in a lost history publishes into a new one */
#endif
  maxPubEp = e;
  st[nextMsg] = NEW;
  nextMsg++
}

/* ================= node steps ============================================================= */

/* node n: (S)SUBSCRIBE {p}:presence:<n> on its subscriber connection (at start, and again
   whenever that connection ended) */
inline subscribe(n) {
  atomic { up(n) && !sub[n] -> sub[n] = true; needReg[n] = true;
    printf("@ node %d: SUBSCRIBE presence (run %d)\n", n, runid) }
}

/* presence.lua: record "<runId> <mode>" only if subscribed on this instance now */
inline register(n) {
  atomic { up(n) && needReg[n] ->
    if
    :: sub[n] -> presK[n] = LIVE; presR[n] = runid; lostHere[n] = false; procLost[n] = false; reg1[n] = true;
       printf("@ node %d: presence.lua registers %d on run %d\n", n, n, runid)
    :: else -> printf("@ node %d: presence.lua finds no subscription on run %d\n", n, runid)
          /* count 0: the subscription went to an earlier instance; retry after re-subscribing */
    fi;
    needReg[n] = false }
}

/* acquire.lua, from a follower (the PTTL sleeper or the presence watcher). A refusal that
   would teach the node nothing changes no state and is left out. */
inline acquire(n) {
  atomic { up(n) && READY(n) && !lead[n] && rep[n] == 0 &&
           (leader == NONE || leader == n || vanished(leader) || maxSeen[n] < epoch) ->
    if
    :: leader == NONE || leader == n -> grant(n);
       printf("@ node %d: acquire.lua grants epoch %d\n", n, epoch)
    :: else ->
       if
       :: vanished(leader) ->          /* presence takeover */
          printf("@ node %d: acquire.lua presence TAKEOVER from vanished node %d\n", n, leader);
          truthful(leader);
          strictTake(leader, lead[leader] || rep[leader] != 0);
          if :: lead[leader] -> stale[leader] = true :: else fi;
          if :: rep[leader] != 0 -> repStale[leader] = true :: else fi;
          presK[leader] = GONE; presR[leader] = runid;
          grant(n);
          printf("@ node %d: ... granted epoch %d\n", n, epoch)
       :: else -> maxSeen[n] = epoch;  /* refused: {0, epoch, PTTL, holder} */
          printf("@ node %d: acquire.lua refused, learns epoch %d\n", n, epoch)
       fi
    fi }
}

/* the election reads the grant reply (ElectionVerticle.attempt's onSuccess) */
inline reply(n) {
  atomic { up(n) && rep[n] != 0 ->
    if :: maxSeen[n] < rep[n] -> maxSeen[n] = rep[n] :: else fi;
#ifdef NO_LATE_CHECK
    late[n] = false;
#endif
    if
    :: late[n] -> printf("@ node %d: grant reply of epoch %d came too late, ignored\n", n, rep[n])
                                /* now >= sentAt + lease - margin: ask again */
    :: else ->
       printf("@ node %d: election: granted epoch %d, now leads\n", n, rep[n]);
       /* (e) no other node believes it leads on a lease its own deadline still vouches for */
       for (c : 0 .. N-1) { assert(repStale[n] || c == n || !lead[c] || stale[c]) }
       lead[n] = true; ep[n] = rep[n]; myH[n] = repH[n]; stale[n] = repStale[n];
       /* the role switch to a generator of this grant (folded into this step: the handler does
          nothing a handler could not also do just before the grant) */
       stopGenerator(n);
       genEp[n] = ep[n]; genH[n] = myH[n]; held[n] = 0;   /* handler stopped */
       printf("@ node %d: role switch: generator for epoch %d\n", n, ep[n])
    fi;
    rep[n] = 0; repH[n] = 0; late[n] = false; repStale[n] = false }
}

/* renew.lua: compare (leader, epoch) and PEXPIRE. Success changes nothing in this abstraction
   except that a node that had been paused is back within its deadline; failure revokes. */
inline renew(n) {
  atomic { up(n) && lead[n] && (stale[n] || !(leader == n && epoch == ep[n])) ->
    if
    :: leader == n && epoch == ep[n] -> stale[n] = false;
       printf("@ node %d: renew.lua extends epoch %d (deadline fresh again)\n", n, ep[n])
    :: else -> printf("@ node %d: renew.lua refuses epoch %d: revokes\n", n, ep[n]);
       lead[n] = false; ep[n] = 0; myH[n] = 0; stale[n] = false
    fi }
}

/* the generator instance is undeployed; a publish call it had sent may still be in flight */
inline stopGenerator(n) {
  if
  :: genEp[n] != 0 && !genFenced[n] && strayEp[n] == 0 && nextMsg < M ->
     strayEp[n] = genEp[n]; strayH[n] = genH[n];
     printf("@ node %d: a publish call of the stopped generator (epoch %d) is still in flight\n", n, genEp[n])
  :: else
  fi;
  genFenced[n] = false
}

/* NodeVerticle's role switch: undeploy the role verticle, deploy the other (or a generator for
   a new grant). A publish call of the old generator may still be in flight. */
inline switchRole(n) {
  atomic { up(n) && !lead[n] && genEp[n] != 0 ->
    stopGenerator(n);
    genEp[n] = 0; genH[n] = 0;
    printf("@ node %d: role switch: handler\n", n) }
}

/* publish.lua from the deployed generator instance (whatever the election believes now) */
inline publish(n) {
  atomic { up(n) && genEp[n] != 0 && !genFenced[n] && nextMsg < M ->
    if
    :: FENCE(n, genEp[n]) ->
       printf("@ node %d: publish.lua adds message %d of epoch %d\n", n, nextMsg, genEp[n]);
       accepted(genEp[n], genH[n])
    :: else ->                        /* {-1}: stop, and the election revokes that epoch */
       genFenced[n] = true;
       printf("@ node %d: publish.lua FENCES epoch %d (lease: node %d epoch %d)\n", n, genEp[n], leader, epoch);
       if
       :: lead[n] && ep[n] == genEp[n] && myH[n] == genH[n] ->
          lead[n] = false; ep[n] = 0; myH[n] = 0; stale[n] = false
       :: else
       fi
    fi }
}

/* XREADGROUP ... STREAMS messages '>' : the next undelivered entry, to this consumer */
inline readNew(n, m) {
  atomic { up(n) && READY(n) && genEp[n] == 0 && st[m] == NEW && (m == 0 || st[m - 1] != NEW) ->
    st[m] = PEND; owner[m] = n; dc[m] = 1; TAKE(n, m);
    printf("@ node %d: XREADGROUP > delivers message %d\n", n, m) }
}

/* XPENDING + XCLAIM of its own pending entries that it does not hold (after a lost read reply or
   a restart): a new delivery of each */
inline readOwn(n) {
  atomic { up(n) && READY(n) && genEp[n] == 0 && OWNUNHELD(n) ->
    for (x : 0 .. M-1) {
      if :: UNHELD(x, n) -> dc[x]++; TAKE(n, x) :: else fi
    };
    printf("@ node %d: XCLAIMs back its own pending messages it does not hold\n", n) }
}

/* an attempt fails before the last one: hold.lua counts the retry (RETRYCOUNT), only while the
   node's claim is still the entry's, or tells it the claim is gone */
inline retry(n, m) {
  atomic { up(n) && (held[n] & BIT(m)) && HDC(n, m) < MAXD ->
    if
    :: CURRENT(n, m) -> dc[m]++; HDC(n, m) = dc[m];
       printf("@ node %d: attempt at message %d fails; hold.lua counts delivery %d\n", n, m, dc[m])
    :: else -> held[n] = held[n] & ~BIT(m);
       printf("@ node %d: attempt at message %d fails; hold.lua: the claim is gone, dropped\n", n, m)
    fi }
}

/* hold.lua's keep-alive finds held entries whose claim was superseded (taken over while this node
   was frozen or cut off) and the node drops them; a live claim is only kept (its idle time reset,
   which the IDLE abstraction below stands for) */
inline keep(n) {
  atomic { up(n) && held[n] != 0 && SUPERSEDED(n) ->
    for (x : 0 .. M-1) {
      if :: (held[n] & BIT(x)) && !CURRENT(n, x) -> held[n] = held[n] & ~BIT(x) :: else fi
    };
    printf("@ node %d: hold.lua: a held claim was superseded, its work dropped\n", n) }
}

/* commit.lua for one held entry once its attempt answered (ok, error, or the last attempt's
   failure, dead-lettered): only while the entry is pending on this consumer under the delivery its
   attempt ran under (the claim fence), XACK, and only when it returned 1 the effect and XDEL */
inline commit(n, m) {
  atomic { up(n) && (held[n] & BIT(m)) ->
    held[n] = held[n] & ~BIT(m);
#ifdef NO_XACK
    applied[m]++;
    if :: st[m] == PEND -> st[m] = DONE; owner[m] = 0 :: else fi;
    printf("@ node %d: commit.lua (no XACK guard) applies message %d\n", n, m);
#else
    if
#ifdef NO_CLAIM_FENCE
    :: st[m] == PEND ->
#else
    :: CURRENT(n, m) ->
#endif
#ifndef NO_G
       /* (g) only the current claim commits: no outcome of a superseded attempt (a zombie's) */
       assert(owner[m] == n && dc[m] == HDC(n, m));
#endif
       st[m] = DONE; owner[m] = 0; applied[m]++;
       printf("@ node %d: commit.lua (claim holds) XACK=1, applies message %d\n", n, m)
    :: else -> printf("@ node %d: commit.lua: message %d committed or its claim superseded, nothing applied\n", n, m)
    fi;
#endif
    assert(applied[m] <= 1) }     /* (b) every effect at most once */
}

/* an entry is idle past reclaimIdleMs only if its consumer is not keeping its claim: dead,
   paused, or not holding it (its read reply was lost, or it changed role); else only by a fault
   (its keep-alive starved). Without the keep-alive, work that lasts long idles however live its
   node is. */
#ifdef NO_KEEPALIVE
#define IDLE(m) true
#else
#define IDLE(m) (!(up(owner[m]) && (held[owner[m]] & BIT(m))))
#endif

/* reclaim.lua and claim.lua hand an entry out as a new delivery, unless it was delivered MAXD
   times already: then they dead-letter it instead, XACK-guarded like commit.lua (the dead letter
   is its effect, applied once) */
inline handOut(n, m) {
  if
  :: dc[m] >= MAXD -> st[m] = DONE; owner[m] = 0; applied[m]++;
     printf("@ node %d: delivered %d times: dead-letters message %d\n", n, dc[m], m);
     assert(applied[m] <= 1)
  :: else -> owner[m] = n; dc[m]++; TAKE(n, m)
  fi
}

/* reclaim.lua: XAUTOCLAIM an idle entry */
inline reclaim(n, m) {
  atomic { up(n) && READY(n) && genEp[n] == 0 && st[m] == PEND && owner[m] != n && (IDLE(m) || budget > 0) ->
    if
    :: !IDLE(m) -> budget--;
       printf("@ node %d: is SLOW: message %d idles past reclaimIdleMs\n", owner[m], m)
    :: else ->
       /* (f) live work is never reclaimed: a node that is up and holds the entry keeps its claim
          fresh while it works, however long the work takes */
       assert(!(up(owner[m]) && (held[owner[m]] & BIT(m))))
    fi;
    printf("@ node %d: reclaim.lua XAUTOCLAIMs idle message %d from node %d\n", n, m, owner[m]);
    handOut(n, m) }
}

/* claim.lua: if vanished(C) or gone(C), XCLAIM (min-idle 0) every entry pending on C, mark C gone */
inline claim(n, cc) {
  atomic { up(n) && READY(n) && CLAIMREADY(n) && genEp[n] == 0 && cc != n && (vanished(cc) || gone(cc)) && HASPEND(cc) ->
    printf("@ node %d: claim.lua claims the pending messages of node %d (declared dead)\n", n, cc);
    truthful(cc);
    for (x : 0 .. M-1) {
      if
      :: PENDON(x, cc) -> strictTake(cc, held[cc] & BIT(x)); handOut(n, x)
      :: else
      fi
    };
    presK[cc] = GONE; presR[cc] = runid }
}

proctype Node(byte i) {
end:
  do
  :: subscribe(i)
  :: register(i)
  :: acquire(i)
  :: reply(i)
  :: renew(i)
  :: switchRole(i)
  :: publish(i)
  EACHM(readNew, i)
  :: readOwn(i)
  EACHM(retry, i)
  :: keep(i)
  EACHM(commit, i)
  EACHM(reclaim, i)
  EACHN2(claim, i)
  od
}

/* ================= Redis's own moves ====================================================== */

/* The lease key expires only once its holder's own deadline has passed (validUntil is counted
   from when the renewal was sent, minus a margin, so it falls before the key's expiry in Redis):
   the holder is dead, paused, no longer believes this grant, or its belief is stale. A grant
   whose reply is still in flight can lapse only if the reply is slower than a lease (a fault);
   the election then sees it after its deadline. */
#define HELD(h)     (up(h) && lead[h] && !stale[h] && ep[h] == epoch && myH[h] == hist)
#define INFLIGHT(h) (up(h) && rep[h] != 0)

inline expire() {
  atomic { leader != NONE && !HELD(leader) && (!INFLIGHT(leader) || budget > 0) ->
    if
    :: INFLIGHT(leader) -> budget--;
       printf("@ redis: the grant reply to node %d is slower than a lease\n", leader)
    :: else
    fi;
    if :: rep[leader] != 0 -> late[leader] = true :: else fi;
    printf("@ redis: the lease of node %d (epoch %d) expires\n", leader, epoch);
    leader = NONE }
}

/* a publish call of a stopped generator instance reaches Redis (publish.lua) */
inline strayRun(n) {
  atomic { strayEp[n] != 0 ->
    if
    :: nextMsg < M && FENCE(n, strayEp[n]) ->
       printf("@ redis: in-flight publish of node %d epoch %d adds message %d\n", n, strayEp[n], nextMsg);
       accepted(strayEp[n], strayH[n])
    :: else -> printf("@ redis: in-flight publish of node %d epoch %d refused\n", n, strayEp[n])
    fi;
    strayEp[n] = 0; strayH[n] = 0 }
}

proctype Redis() {
end:
  do
  :: expire()
  EACHN(strayRun)
  od
}

/* ================= the environment: faults, at most F of them ============================== */

inline dropConnections() {   /* every connection to this instance closes */
  for (x : 0 .. N-1) {
    sub[x] = false; lostHere[x] = false;
    procLost[x] = false;
    rep[x] = 0; repH[x] = 0; late[x] = false; repStale[x] = false;   /* a grant reply in flight is lost */
    strayEp[x] = 0; strayH[x] = 0
  }
}

/* kill -9 (or a graceful stop, which first runs release.lua) */
inline crash(n) {
  atomic { budget > 0 && alive[n] -> budget--;
    if
    :: lead[n] && leader == n && epoch == ep[n] -> leader = NONE;   /* release.lua */
       printf("@ node %d: stops gracefully, release.lua frees the lease\n", n)
    :: printf("@ node %d: CRASHES (kill -9)\n", n)
    fi;
    if :: sub[n] -> sub[n] = false; lostHere[n] = true :: else fi;  /* the socket closes */
    alive[n] = false; frozen[n] = false;
    lead[n] = false; ep[n] = 0; myH[n] = 0; stale[n] = false; maxSeen[n] = 0;
    rep[n] = 0; repH[n] = 0; late[n] = false; repStale[n] = false;
    genEp[n] = 0; genH[n] = 0; genFenced[n] = false;
    strayEp[n] = 0; strayH[n] = 0;      /* a call it had sent ran before the socket closed */
    held[n] = 0; needReg[n] = false; reg1[n] = false; procLost[n] = false }
}

inline restart(n) {     /* the node is started again, same node id, fresh memory */
  atomic { !alive[n] -> alive[n] = true; printf("@ node %d: starts again (fresh memory)\n", n) }
}

inline freeze(n) {
  atomic { budget > 0 && alive[n] && !frozen[n] -> budget--; frozen[n] = true;
    if :: lead[n] -> stale[n] = true :: else fi;
    printf("@ node %d: FROZEN\n", n) }
}

inline thaw(n) {
  atomic { frozen[n] -> frozen[n] = false; printf("@ node %d: resumes\n", n) }
}

/* the subscriber connection breaks (network, keepalive on a paused or cut-off node) */
inline breakSub(n) {
  atomic { budget > 0 && sub[n] -> budget--; sub[n] = false; lostHere[n] = true; if :: alive[n] -> procLost[n] = true :: else fi;
    printf("@ node %d: its presence connection BREAKS\n", n) }
}

/* renewals kept failing or were too slow: the guard timer revokes at validUntil */
inline guard(n) {
  atomic { budget > 0 && up(n) && lead[n] -> budget--;
    printf("@ node %d: guard timer revokes epoch %d (renewals too slow)\n", n, ep[n]);
    lead[n] = false; ep[n] = 0; myH[n] = 0; stale[n] = false }
}

proctype Env() {
end:
  do
  EACHN(crash)
  EACHN(restart)
  EACHN(freeze)
  EACHN(thaw)
  EACHN(breakSub)
  EACHN(guard)
  /* Redis restarts from its AOF: data kept, connections and subscriptions lost, new run id */
  :: atomic { budget > 0 -> budget--; NEWRUN; dropConnections();
       printf("@ redis: RESTARTS FROM AOF (data kept; or a replica is promoted), run %d\n", runid) }
  /* Redis restarts empty: everything lost; stale beliefs stay in the nodes */
  :: atomic { budget > 0 -> budget--; NEWRUN; dropConnections();
       leader = NONE; epoch = 0;
       for (x : 0 .. N-1) { presK[x] = NOREC; presR[x] = 0; if :: lead[x] -> stale[x] = true :: else fi };
       for (x : 0 .. M-1) { if :: st[x] == NEW || st[x] == PEND -> st[x] = LOST; owner[x] = 0; dc[x] = 0 :: else fi };
       hist++; maxPubEp = 0;
       printf("@ redis: RESTARTS EMPTY (data lost), run %d\n", runid) }
#ifdef FAILBACK
  /* the primary changes back to the previous server instance, which was demoted, never restarted,
     and now holds the data it replicated meanwhile: its run id is the earlier one; Sentinel closed
     every client connection at each switch */
  :: atomic { budget > 0 && runs > 0 && runid != prevRun ->
       budget--; c = runid; runid = prevRun; prevRun = c; dropConnections();
       printf("@ redis: FAILS BACK to the earlier instance, run %d\n", runid) }
#endif
  :: break   /* no more faults: nodes that are down or paused stay so */
  od
}

init {
  atomic {
    /* every node starts subscribed and registered on run 0 */
    for (c : 0 .. N-1) { alive[c] = true; sub[c] = true; presK[c] = LIVE; reg1[c] = true };
    run Redis();
    run Env();
    for (c : 0 .. N-1) { run Node(c) }
  }
}

/* (c) liveness, under weak fairness (pan -a -f), with the fault budget F bounding the faults */
ltl publishes { (<>[] ANYUP) -> <> (nextMsg == M) }
ltl commits   { (<>[] ALLUP) -> <> (nextMsg == M && SETTLED) }
