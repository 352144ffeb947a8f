/*
 * The rotation protocol of `secrets` (Sources/Rotation/Engine), one app, as a Promela model.
 * What is modelled, what is abstracted and why: Models/README.md. Run: Scripts/model-check.sh.
 *
 * Configuration (spin -D...):
 *   ISSUER    ENTRA (keeps the previous secret; a new one works after replication) or
 *             JAMFAPI (Jamf Pro API client: regenerating kills the old secret at once)
 *   PERSON    0: consumers are a `command` consumer and a jamf-pro-intune consumer WITH an apply
 *                command; two `rotate` processes (cron-like) run at once.
 *             1: the jamf-pro-intune consumer has NO apply command (a person enters the secret);
 *                the second process is the person: rotate APP, --confirm-deployed, --retire-now,
 *                --abandon, rollback (mask CMDS), and the person enters the current secret in Jamf Pro
 *                at any time.
 *   SILENT    1: an apply command may exit 0 although Jamf Pro did not take the secret (the case
 *                the canary check exists for).
 *   FIX       a bit mask of the fixes (F_... below). The default, F_ALL, is the engine as it is
 *             (issue 13's fixes in), the reference the broken engines are made from; FIX=0 is the
 *             engine before them (main at 1bd9f1d), kept for the record (`findings`).
 *   BROKEN    a deliberately broken engine (B_... below); used with FIX=F_ALL.
 *   CHECK     bit mask of invariants checked: 1 I1, 2 I2, 4 I3, 8 I4, 16 I5.
 *   MAXCMD, MAXCRASH, MAXFAULT, MAXROT: bounds (commands, crashes, injected faults, rotations started).
 */

#define ENTRA   1
#define JAMFAPI 2
#ifndef ISSUER
#define ISSUER ENTRA
#endif
#define KEEPS (ISSUER == ENTRA)       /* Issuer.keepsPreviousSecret */

#ifndef PERSON
#define PERSON 0
#endif
#ifndef SILENT
#define SILENT 0
#endif
/* Proposed fixes, one bit each (see Models/README.md, "Findings"). */
#define F_RESTORE_ALL 1   /* a resumed deploy that fails gives the old secret back to EVERY consumer */
#define F_CANARY      2   /* verify counts only a report made with the new secret; else a person confirms */
#define F_RETIRENOW   4   /* --retire-now refused (changing nothing) while a person has to confirm */
#define F_ABANDON     8   /* --abandon refused while a person has to confirm (the new secret is current)
                             or while a rollback is unfinished (consumers may hold the previous secret) */
#define F_ROLLBACK   16   /* rollback verifies the consumers and waits for a person where one must act */
#define F_CONFIRM_SEEN 32  /* --confirm-deployed confirms only a key that was waiting when the run began */
#define F_WAIT_INERT  64  /* while a person has to confirm, a run resumes no unfinished retirement */
#define F_RETIRE_RB  128  /* a key an unfinished rollback is redeploying is never retired */
#define F_RB_RESUME  256  /* a resumed rollback that fails before deploying stays open: an earlier attempt may have deployed */
#define F_ABANDON_KILLS 512  /* --abandon refused for an issuer that kills the old secret (Jamf Pro API client):
                                delivering the new one is the only way forward */
#define F_ALL      1023
#define FX(f) ((FIX & (f)) != 0)
#ifndef FIX
#define FIX F_ALL     /* the engine as it is (every fix in); FIX=0 is the engine before issue 13 */
#endif
#ifndef CMDS                           /* 1 confirm-deployed, 2 retire-now, 4 abandon, 8 rollback */
#define CMDS 15
#endif
#ifndef MAXCMD
#define MAXCMD 4
#endif
#ifndef MAXCRASH
#define MAXCRASH 1
#endif
#ifndef MAXFAULT
#define MAXFAULT 1
#endif
#ifndef MAXROT
#define MAXROT 2
#endif
#ifndef CHECK
#define CHECK 31
#endif
#define CHK(n) ((CHECK & (n)) != 0)

/* Deliberately broken engines (BROKEN=B_...), each applied to the FIX=F_ALL engine. */
#define B_none                    0
#define B_retire_before_verify    1   /* the previous secret is removed right after deploy, before verify */
#define B_stale_canary            2   /* verify counts the canary's last (stale) report */
#define B_journal_after_create    3   /* the journal row is written with the store, not before the create */
#define B_retire_now_while_waiting 4  /* --retire-now ends the overlap while a person has not confirmed */
#define B_abort_without_restore   5   /* abort removes the new secret without giving consumers the old one */
#define B_abandon_while_waiting   6   /* --abandon closes a rotation that waits for a person */
#ifndef BROKEN
#define BROKEN B_none
#endif
#define BRK(b) (BROKEN == b)

/* ---- the world ---------------------------------------------------------------------------- */

#define NK 9          /* key ids 1..NK-1 (0: none) */
#define NR 12         /* journal rows 1..NR-1 (0: none); a row's index is its rotation id */
#define NC 2          /* consumers: 0 a `command` consumer, 1 jamf-pro-intune */

/* vault credential states (CredentialState) */
#define NONE 0
#define PEND 1
#define CUR  2
#define PREV 3
#define RET  4
byte vs[NK];          /* the vault's state of each key */
bit  ripe[NK];        /* a previous key's retireAfter <= now (overlap over, --retire-now, rollback) */
byte curkey;          /* the vault's current key */

/* the issuer */
byte iss[NK];         /* 0 absent, 1 created (not yet replicated), 2 accepted */
byte mark[NK];        /* the rotation id in its display name (0: none) */
byte late;            /* Entra: a create that timed out may still be carried out (its row) */

/* consumers */
byte holds[NC];       /* the key each consumer actually uses */
byte evid[NC];        /* the key the engine truly verified at the consumer, or a person confirmed */

/* the journal (RotationJournal), one row per rotation / retirement / rollback */
#define K_ROT 1
#define K_RET 2
#define K_RB  3
#define S_CREATE 1
#define S_DEPLOY 2
#define S_VERIFY 3
#define S_PROMOTE 4
#define S_ABORT 5
#define S_RETIRE 6
#define S_ROLLBACK 7
#define S_CONFIRM 8
#define S_CLOSED 9
#define STARTED 1
#define FINISHED 2
#define FAILED 3
byte jkind[NR]; byte jstep[NR]; byte jstat[NR]; byte jkey[NR]; byte jprev[NR];
bit  jawait[NR];
bit  jex[NR];         /* the row exists (B_journal_after_create writes it late) */
byte nrows;
byte openrot;         /* open rotate rows */
byte waitcnt;         /* open rows at S_CONFIRM: the app waits for a person */

/* the processes */
byte lock;            /* RotationLock holder (0: free) */
byte cmds, crashes, faults, rots, done;

/* ---- invariants -------------------------------------------------------------------------- */

#define OKC(c) (iss[holds[c]] == 2)
#if ISSUER == ENTRA
/* I1 zero downtime: every consumer holds a secret the issuer accepts. */
#define I1 (OKC(0) && OKC(1))
#else
/* I1 (weak, Jamf Pro API client): a consumer holds a dead secret only while a rotation is open
   (the next `rotate` delivers the new one). */
#define I1 ((OKC(0) && OKC(1)) || openrot > 0)
#endif

proctype monitor() {
end_mon:
    atomic { (CHK(1) && !(I1)) -> assert(I1) }
}

/* ---- helpers ----------------------------------------------------------------------------- */

#define E_FAIL   1
#define E_PERSON 2    /* RotationFailure.needsPerson: the app waits (exit 75) */
#define E_DEF    3    /* a create refused outright */
#define E_AMB    4    /* a create whose outcome is unknown */

#define CRASHPOINT if :: crashes < MAXCRASH -> crashes++; goto crashed :: true -> skip fi
#define FAULT (faults < MAXFAULT)

byte nk_next = 2;     /* the next key id the issuer hands out */
inline newkey(k) { assert(nk_next < NK); k = nk_next; nk_next++ }   /* model bound, not a finding */

inline jset(row, nstep, nstat) {
    if :: jkind[row] == K_ROT && jstep[row] != S_CLOSED && nstep == S_CLOSED -> openrot-- :: else -> skip fi;
    if :: jstep[row] == S_CONFIRM && nstep != S_CONFIRM -> waitcnt-- :: else -> skip fi;
    if :: jstep[row] != S_CONFIRM && nstep == S_CONFIRM -> waitcnt++ :: else -> skip fi;
    jstep[row] = nstep; jstat[row] = nstat;
    printf("  journal row %d -> step %d status %d\n", row, nstep, nstat)
}

inline jinsert(row, kind, step, key, prev) {
    nrows++; assert(nrows < NR); row = nrows;
    jkind[row] = kind; jstep[row] = step; jstat[row] = STARTED; jkey[row] = key; jprev[row] = prev; jex[row] = 1;
    if :: kind == K_ROT -> openrot++ :: else -> skip fi;
    printf("  journal row %d inserted: kind %d step %d key %d prev %d\n", row, kind, step, key, prev)
}

/* issuer.createSecret: Entra adds a secret; a Jamf Pro API client regenerates (kills the others). */
inline issue(k, row) {
    if
    :: !KEEPS -> i = 1; do :: i < NK -> iss[i] = 0; i++ :: else -> break od
    :: else -> skip
    fi;
    iss[k] = 1; mark[k] = row; ichg = 1;
    printf("  ISSUER creates key %d (marked with rotation %d)\n", k, row)
}

/* issuer.removeSecret (Jamf Pro API client: a no-op, the regeneration killed it) */
inline iremove(key) {
    if
    :: !KEEPS -> skip
    :: KEEPS ->
        if
        :: true ->
            /* I2: a key consumers used is removed only after each consumer was verified with
               another key, or a person confirmed it */
            if
            :: CHK(2) && (vs[key] == PREV || vs[key] == CUR) ->
                assert(evid[0] != 0 && evid[0] != key && evid[1] != 0 && evid[1] != key)
            :: else -> skip
            fi;
            if :: iss[key] != 0 -> ichg = 1 :: else -> skip fi;
            iss[key] = 0; printf("  ISSUER removes key %d\n", key)
        :: FAULT -> faults++; err = E_FAIL; printf("  ISSUER remove of key %d fails (fault)\n", key)
        fi
    fi
}

/* issuer.verify: a token request, retried through replication */
inline iverify(key) {
    if
    :: iss[key] == 0 -> err = E_FAIL
    :: iss[key] != 0 -> iss[key] = 2; printf("  issuer accepts key %d\n", key)
    :: iss[key] != 0 && FAULT -> faults++; err = E_FAIL; printf("  issuer verify of key %d fails (fault)\n", key)
    fi
}

/* consumer.deploy */
inline cdeploy(c, key) {
    if
    :: PERSON && c == 1 -> needp = 1; printf("  consumer %d deploy key %d: needs a person\n", c, key)   /* no apply command */
    :: else ->
        if
        :: true -> holds[c] = key; printf("  consumer %d now uses key %d\n", c, key)
        :: FAULT -> faults++; err = E_FAIL; printf("  consumer %d deploy key %d fails before writing (fault)\n", c, key)
        :: FAULT -> faults++; holds[c] = key; err = E_FAIL; printf("  consumer %d deploy key %d: uses it, then fails (fault)\n", c, key)
        :: SILENT && c == 1 && FAULT -> faults++; printf("  consumer %d deploy key %d: apply exits 0, not taken (fault)\n", c, key)
        fi
    fi
}

/* the engine counts consumer c as verified with key */
inline verified(c, key) {
    printf("  consumer %d counted as verified with key %d (it uses key %d)\n", c, key, holds[c]);
    if :: CHK(16) -> assert(holds[c] == key) :: else -> skip fi;   /* I5 */
    if :: holds[c] == key -> evid[c] = key :: else -> skip fi
}

/* consumer.verify; unverified = 1 when it could not check (FIX: a person must confirm) */
inline cverify(c, key) {
    if
    :: c == 0 -> verified(c, key)                       /* exit status 0 at deploy is the verification */
    :: c == 1 ->                                        /* jamf-pro-intune: the canary's compliance */
#if FX(F_CANARY)
        if
        :: PERSON -> unverified = 1                     /* its deploy needed a person: not checked, the person confirms */
        :: !PERSON && holds[c] == key -> verified(c, key)   /* a report newer than the apply */
#if BRK(B_stale_canary)
        :: !PERSON && holds[c] != key -> verified(c, key)   /* the stale report counted */
#else
        :: !PERSON && holds[c] != key -> unverified = 1     /* .needsPerson "not verified yet": the app waits */
#endif
        fi
#else
        if
        :: true -> verified(c, key)                     /* the LAST report counts (canaryPolls = 1) */
        :: FAULT -> faults++; err = E_FAIL; printf("  consumer 1 canary UNKNOWN (fault)\n")
        fi
#endif
    :: FAULT -> faults++; err = E_FAIL; printf("  consumer %d verify fails (fault)\n", c)
    fi
}

/* Vault.storeIssued */
inline v_store(key) {
    if
    :: vs[key] != NONE -> skip
    :: else ->
        if
        :: !KEEPS -> i = 1;
            do :: i < NK -> if :: vs[i] == CUR -> vs[i] = RET; ripe[i] = 0 :: else -> skip fi; i++ :: else -> break od;
            vs[key] = CUR; curkey = key
        :: else -> vs[key] = PEND
        fi;
        vchg = 1; printf("  VAULT stores key %d (state %d)\n", key, vs[key])
    fi
}

/* Vault.promote / rollBack (makeCurrent); failing leaves the commit undone (ok = 0) */
inline v_makecurrent(key, from, demotedripe) {
    ok = 1;
    if
    :: vs[key] == CUR -> skip
    :: vs[key] != CUR && vs[key] != from -> ok = 0
    :: vs[key] == from ->
        if :: curkey != 0 -> vs[curkey] = PREV; ripe[curkey] = demotedripe :: else -> skip fi;
        vs[key] = CUR; ripe[key] = 0; curkey = key; vchg = 1; printf("  VAULT key %d current\n", key)
    fi
}

/* Vault.retire(app:keyID:from:) */
inline v_retire(key, from) {
    ok = 1;
    if
    :: vs[key] == NONE -> skip
    :: vs[key] != NONE && vs[key] != from -> ok = 0
    :: vs[key] == from -> vs[key] = RET; ripe[key] = 0; vchg = 1; printf("  VAULT key %d retired\n", key);
        if :: curkey == key -> curkey = 0 :: else -> skip fi
    fi
}

/* ---- the environment: time, late creates, the person entering the secret ----------------- */

active proctype env() {
    byte k, i;
end_env:
    do
    :: atomic {   /* days pass: every previous secret's overlap ends */
        i = 1; do :: i < NK -> if :: vs[i] == PREV && !ripe[i] -> ripe[i] = 1; printf("TIME: overlap of key %d over\n", i) :: else -> skip fi; i++ :: else -> break od }
    :: atomic { late != 0 && KEEPS -> newkey(k); iss[k] = 1; mark[k] = late; late = 0; printf("ISSUER: the timed-out create lands: key %d\n", k) }
    :: atomic { late != 0 -> late = 0 }                                                     /* or never does */
    :: atomic { PERSON && curkey != 0 && holds[1] != curkey -> holds[1] = curkey; printf("PERSON enters current key %d in Jamf Pro (consumer 1)\n", curkey) }
    od
}

/* ---- a `secrets` process ----------------------------------------------------------------- */

#define C_ROTATE 1
#define C_CONFIRM 2
#define C_RETIRENOW 3
#define C_ABANDON 4
#define C_ROLLBACK 5

#define RA_RESUME 1
#define RA_ROTATE 2
#define RR_ADVANCE 1
#define RR_TORETIRE 2
#define RB_GUARDED 1
#define RB_STEP 2
#define RUN_CMD 1
#define RUN_FINAL 2

#define NRUN 2

proctype runner(byte me) {
    byte cmd, exitc, err, i, j, k, r, ri, rk, rr, c, reached, restoring, fin, errsave;
    int  pres, rmask, pconf;
    bit  due, confirmed, prot, pret, prconf, blocked, swait, sfail, isres, needp, unverified, ok;
    bit  w0, ichg, vchg, deploying, rbwait;
    byte ret_adv, ret_ret, ret_abort, ret_run, cur0;

cmd_loop:
    atomic {
        if
        :: cmds >= MAXCMD -> goto runner_done
        :: else -> cmds++
        fi;
        cmd = C_ROTATE; due = 0; confirmed = 0;
        if
        :: true
        :: rots < MAXROT -> due = 1
#if PERSON
        :: me == 2 && (CMDS & 1) && curkey != 0 && holds[1] == curkey -> cmd = C_CONFIRM; confirmed = 1  /* honest: it is in place */
        :: me == 2 && (CMDS & 2) -> cmd = C_RETIRENOW
        :: me == 2 && (CMDS & 4) && vs[holds[0]] != PEND && vs[holds[1]] != PEND -> cmd = C_ABANDON  /* after checking the consumers */
        :: me == 2 && (CMDS & 8) -> cmd = C_ROLLBACK
#endif
        fi;
        /* RotationLock: flock(LOCK_EX | LOCK_NB) */
        if
        :: lock == 0 -> lock = me
        :: else -> exitc = 75; printf("P%d: lock busy\n", me); goto cmd_end
        fi;
        w0 = (waitcnt > 0); ichg = 0; vchg = 0; err = 0; swait = 0; sfail = 0;
        printf("P%d: command %d (1 rotate, 2 --confirm-deployed, 3 --retire-now, 4 --abandon, 5 rollback) due=%d, app waiting for a person: %d\n", me, cmd, due, w0)
    }
    if
    :: cmd == C_ROTATE || cmd == C_CONFIRM -> ret_run = RUN_CMD; goto run_engine
    :: cmd == C_RETIRENOW -> goto retire_now
    :: cmd == C_ABANDON -> goto abandon
    :: cmd == C_ROLLBACK -> goto rollback_cmd
    fi;

/* ---------- RotationEngine.run(plan): plan, resume, retire, rotate ---------- */
run_engine:
    atomic {   /* RotationEngine.plan: read after the lock */
        pres = 0; prconf = 0; pret = 0; blocked = 0; pconf = 0;
        i = 1;
        do
        :: i <= nrows -> if :: jex[i] && jstep[i] != S_CLOSED -> pres = pres | (1 << i);
                               if :: jstep[i] == S_CONFIRM -> prconf = 1; pconf = pconf | (1 << i) :: else -> skip fi
                             :: else -> skip fi; i++
        :: else -> break
        od;
        prot = due && (openrot == 0);
        i = 1;
        do
        :: i < NK -> if :: vs[i] == PREV && ripe[i] && !prconf -> pret = 1 :: else -> skip fi; i++
        :: else -> break
        od;
        /* a previous key with an open retire row is not planned again (it is resumed) */
        cur0 = curkey;
        ri = 1
    }
resume_loop:
    if
    :: ri > nrows -> goto resume_done
    :: else -> skip
    fi;
    if
#if FX(F_WAIT_INERT)
    :: (pres & (1 << ri)) != 0 && prconf && jkind[ri] == K_RET -> goto resume_next
    :: (pres & (1 << ri)) != 0 && !(prconf && jkind[ri] == K_RET) -> r = ri; isres = 1; ret_adv = RA_RESUME; goto advance
#else
    :: (pres & (1 << ri)) != 0 -> r = ri; isres = 1; ret_adv = RA_RESUME; goto advance
#endif
    :: else -> goto resume_next
    fi;
after_resume:
    if
    :: err == E_PERSON -> swait = 1
    :: err != 0 && err != E_PERSON -> sfail = 1
    :: else -> skip
    fi;
    if :: err != 0 && jkind[ri] != K_RET -> blocked = 1 :: else -> skip fi;
    err = 0;
resume_next:
    ri++; goto resume_loop;
resume_done:
    /* retirable(_:after:): read again after the resumes */
    atomic {
        rmask = 0;
        if
        :: !pret && !prconf -> skip
        :: else ->
            if
            :: waitcnt > 0 -> skip
            :: else ->
                i = 1;
                do
                :: i < NK ->
                    if
                    :: vs[i] == PREV && ripe[i] ->
                        rmask = rmask | (1 << i);
                        j = 1;
                        do :: j <= nrows -> if :: jex[j] && jkind[j] == K_RET && jstep[j] != S_CLOSED && jkey[j] == i -> rmask = rmask & ~(1 << i) :: else -> skip fi;
#if FX(F_RETIRE_RB)
                                            if :: jex[j] && jkind[j] == K_RB && jstep[j] != S_CLOSED && jkey[j] == i -> rmask = rmask & ~(1 << i) :: else -> skip fi;
#endif
                                            j++
                           :: else -> break od
                    :: else -> skip
                    fi; i++
                :: else -> break
                od
            fi
        fi;
        k = 1
    }
toretire_loop:
    if
    :: k >= NK -> goto toretire_done
    :: (rmask & (1 << k)) != 0 -> rk = k; rr = 0; ret_ret = RR_TORETIRE; goto retire
    :: else -> k++; goto toretire_loop
    fi;
after_toretire:
    if
    :: err == E_PERSON -> swait = 1
    :: err != 0 && err != E_PERSON -> sfail = 1
    :: else -> skip
    fi;
    err = 0; k++; goto toretire_loop;
toretire_done:
    if
    :: prot && !blocked -> skip
    :: else -> goto run_end
    fi;
    /* rotate(context:force:result:): the checks and the insert in one write */
    atomic {
        if
        :: openrot > 0 -> err = E_FAIL
        :: openrot == 0 && curkey != cur0 -> skip       /* RotationSkipped */
        :: openrot == 0 && curkey == cur0 ->
            rots++;
#if BRK(B_journal_after_create)
            nrows++; assert(nrows < NR); r = nrows;
            jkind[r] = K_ROT; jstep[r] = S_CREATE; jstat[r] = STARTED; jkey[r] = 0; jprev[r] = curkey; jex[r] = 0
#else
            jinsert(r, K_ROT, S_CREATE, 0, curkey)
#endif
        fi
    }
    if
    :: err != 0 -> sfail = 1; err = 0; goto run_end
    :: err == 0 && curkey != cur0 -> goto run_end
    :: else -> skip
    fi;
    CRASHPOINT;
    isres = 0; ret_adv = RA_ROTATE; goto advance;
after_rotate:
    if
    :: err == E_PERSON -> swait = 1
    :: err != 0 && err != E_PERSON -> sfail = 1
    :: else -> skip
    fi;
    err = 0;
run_end:
    if
    :: sfail -> exitc = 1
    :: !sfail && swait -> exitc = 75
    :: else -> exitc = 0
    fi;
    if
    :: ret_run == RUN_CMD -> goto cmd_end
    :: ret_run == RUN_FINAL -> goto final_next
    fi;

/* ---------- advance(journal): carry a row forward ---------- */
advance:
    if
    :: jkind[r] == K_RET -> rk = jkey[r]; rr = r; ret_ret = RR_ADVANCE; goto retire
    :: jkind[r] == K_RB -> goto rollback_body
    :: else -> skip
    fi;
    /* resumed, not waiting at confirm: remove secrets marked with this rotation the vault never held */
    if
    :: isres && jstep[r] != S_CONFIRM && KEEPS ->
        i = 1;
        do
        :: i < NK && err == 0 ->
            if :: iss[i] != 0 && mark[i] == r && i != jkey[r] -> iremove(i); if :: err == 0 -> CRASHPOINT :: else -> skip fi
               :: else -> skip fi;
            i++
        :: else -> break
        od;
        if :: err != 0 -> goto adv_end :: else -> skip fi
    :: else -> skip
    fi;
adv_loop:
    CRASHPOINT;
    if
    :: jstep[r] == S_CREATE -> goto st_create
    :: jstep[r] == S_DEPLOY && jstat[r] == STARTED -> goto st_deploy
    :: jstep[r] == S_VERIFY && jstat[r] == STARTED -> goto st_verify
    :: jstep[r] == S_PROMOTE -> goto st_promote
    :: jstep[r] == S_CONFIRM -> goto st_confirm
    :: (jstep[r] == S_DEPLOY || jstep[r] == S_VERIFY) && jstat[r] == FAILED ->
        /* for issuers that killed the old secret, delivering the new one is the only way forward */
        atomic { if :: KEEPS -> jset(r, S_ABORT, STARTED) :: else -> jstat[r] = STARTED fi };
        goto adv_loop
    :: jstep[r] == S_ABORT -> restoring = NC; ret_abort = RB_STEP; goto abort
    :: jstep[r] == S_CLOSED -> goto adv_end
    fi;

st_create:
    atomic {
        if
        :: true -> newkey(k); issue(k, r)                               /* the answer arrives */
        :: FAULT -> faults++; err = E_DEF; printf("  create refused (fault)\n")
        :: FAULT -> faults++; err = E_AMB; printf("  create timed out, nothing made (fault)\n")
        :: FAULT -> faults++; newkey(k); issue(k, r); err = E_AMB; printf("  create: answer lost (fault)\n")
        :: FAULT && KEEPS && late == 0 -> faults++; late = r; err = E_AMB; printf("  create timed out, lands later (fault)\n")
        fi
    }
    if
    :: err == E_DEF && KEEPS ->
        /* try? removeOrphans, then close */
        i = 1;
        do
        :: i < NK -> if :: iss[i] != 0 && mark[i] == r && i != jkey[r] -> iremove(i); err = E_DEF :: else -> skip fi; i++
        :: else -> break
        od;
        atomic { jset(r, S_CLOSED, FAILED) };
        goto adv_end
    :: err != 0 ->
        atomic { jstat[r] = FAILED };
        goto adv_end
    :: else -> skip
    fi;
    CRASHPOINT;        /* a crash here loses the value: it exists nowhere else */
    atomic {           /* storeIssued + the journal to deploy, one commit */
        v_store(k); jkey[r] = k;
#if BRK(B_journal_after_create)
        if :: !jex[r] -> jex[r] = 1; openrot++ :: else -> skip fi;
#endif
        jset(r, S_DEPLOY, STARTED)
    }
    goto adv_loop;

st_deploy:
    reached = 0; needp = 0;
    if
    :: vs[jkey[r]] == NONE || vs[jkey[r]] == RET -> err = E_FAIL; goto guarded_catch   /* delivery() */
    :: else -> skip
    fi;
    iverify(jkey[r]);                    /* the issuer accepts it before any consumer sees it */
    if :: err != 0 -> goto guarded_catch :: else -> skip fi;
    CRASHPOINT;
    c = 0;
    do
    :: c < NC && err == 0 -> reached++; cdeploy(c, jkey[r]); c++; if :: err == 0 -> CRASHPOINT :: else -> skip fi
    :: else -> break
    od;
    if :: err != 0 -> goto guarded_catch :: else -> skip fi;
    atomic { jawait[r] = jawait[r] || needp; jset(r, S_VERIFY, STARTED) };
#if BRK(B_retire_before_verify)
    if :: jprev[r] != 0 -> iremove(jprev[r]); err = 0 :: else -> skip fi;
#endif
    goto adv_loop;

st_verify:
    reached = NC; unverified = 0;
    if
    :: vs[jkey[r]] == NONE || vs[jkey[r]] == RET -> err = E_FAIL; goto guarded_catch
    :: else -> skip
    fi;
    iverify(jkey[r]);
    if :: err != 0 -> goto guarded_catch :: else -> skip fi;
    c = 0;
    do
    :: c < NC && err == 0 -> cverify(c, jkey[r]); c++
    :: else -> break
    od;
    if :: err != 0 -> goto guarded_catch :: else -> skip fi;
#if FX(F_CANARY)
    /* a consumer nobody could check waits for a person (confirm), never counts as verified */
    atomic { jawait[r] = jawait[r] || unverified; jset(r, S_PROMOTE, STARTED) };
#else
    atomic { jset(r, S_PROMOTE, STARTED) };
#endif
    goto adv_loop;

guarded_catch:
    errsave = err;
    atomic { jstat[r] = FAILED };
    if
    :: KEEPS ->
        CRASHPOINT;
        atomic { jset(r, S_ABORT, STARTED) };
        restoring = reached;
#if FX(F_RESTORE_ALL)
        /* a resumed deploy cannot know whom an earlier attempt reached (abort's `restoring: nil`) */
        if :: isres -> restoring = NC :: else -> skip fi;
#endif
        ret_abort = RB_GUARDED; err = 0; goto abort
    :: else -> goto adv_end
    fi;
after_abort_guarded:
    if :: err == 0 -> err = errsave :: else -> skip fi;   /* the step's error, or abort's */
    goto adv_end;

st_promote:
    atomic {
        v_makecurrent(jkey[r], PEND, 0);
        if
        :: ok -> if :: jawait[r] -> jset(r, S_CONFIRM, STARTED) :: else -> jset(r, S_CLOSED, FINISHED) fi
        :: else -> err = E_FAIL
        fi
    }
    if :: err != 0 -> goto adv_end :: else -> goto adv_loop fi;

st_confirm:
    if
    :: !confirmed -> err = E_PERSON; goto adv_end
#if FX(F_CONFIRM_SEEN)
    :: confirmed && (pconf & (1 << r)) == 0 -> err = E_PERSON; goto adv_end
#endif
    :: else -> skip
    fi;
    atomic { jset(r, S_CLOSED, FINISHED); evid[1] = jkey[r] };   /* the person confirmed consumer 1 holds it */
    goto adv_loop;

adv_end:
    if
    :: ret_adv == RA_RESUME -> goto after_resume
    :: ret_adv == RA_ROTATE -> goto after_rotate
    fi;

/* ---------- abort: old secret back to the consumers reached, remove the new one ---------- */
abort:
    if
    :: restoring > 0 ->
        if
        :: jprev[r] == 0 || vs[jprev[r]] == NONE || vs[jprev[r]] == RET -> err = E_FAIL; goto abort_ret
        :: else -> skip
        fi;
#if !BRK(B_abort_without_restore)
        c = 0;
        do
        :: c < restoring && err == 0 -> cdeploy(c, jprev[r]); c++; if :: err == 0 -> CRASHPOINT :: else -> skip fi
        :: else -> break
        od;
#endif
        if :: err != 0 -> goto abort_ret :: else -> skip fi
    :: else -> skip
    fi;
    CRASHPOINT;
    iremove(jkey[r]);
    if :: err != 0 -> goto abort_ret :: else -> skip fi;
    CRASHPOINT;
    atomic {
        v_retire(jkey[r], PEND);
        if :: ok -> jset(r, S_CLOSED, FAILED) :: else -> err = E_FAIL fi
    }
abort_ret:
    if
    :: ret_abort == RB_GUARDED -> goto after_abort_guarded
    :: ret_abort == RB_STEP -> if :: err == 0 -> err = E_FAIL :: else -> skip fi; goto adv_end   /* "has now been undone" is a failure */
    fi;

/* ---------- retire(keyID:): remove a previous secret at the issuer ---------- */
retire:
    if
    :: rr == 0 -> atomic { jinsert(rr, K_RET, S_RETIRE, rk, 0) }; CRASHPOINT
    :: else -> skip
    fi;
    if
    :: !(vs[rk] == PREV && ripe[rk]) -> atomic { jset(rr, S_CLOSED, FINISHED) }; goto retire_ret
    :: else -> skip
    fi;
    /* removeLateOrphans: secrets marked with one of the app's finished rotations, never stored */
    if
    :: KEEPS ->
        i = 1;
        do
        :: i < NK && err == 0 ->
            if
            :: iss[i] != 0 && vs[i] == NONE && mark[i] != 0 && jex[mark[i]] && jkind[mark[i]] == K_ROT && jstep[mark[i]] == S_CLOSED ->
                iremove(i); if :: err == 0 -> CRASHPOINT :: else -> skip fi
            :: else -> skip
            fi; i++
        :: else -> break
        od
    :: else -> skip
    fi;
    if :: err == 0 -> iremove(rk) :: else -> skip fi;
    if
    :: err != 0 -> atomic { jstat[rr] = FAILED }; goto retire_ret
    :: else -> skip
    fi;
    CRASHPOINT;
    atomic {
        v_retire(rk, PREV);
        if :: ok -> jset(rr, S_CLOSED, FINISHED) :: else -> err = E_FAIL fi
    }
retire_ret:
    if
    :: ret_ret == RR_ADVANCE -> goto adv_end
    :: ret_ret == RR_TORETIRE -> goto after_toretire
    fi;

/* ---------- rollback APP ---------- */
rollback_cmd:
    atomic {
        i = 1; do :: i <= nrows -> if :: jex[i] && jstep[i] != S_CLOSED -> exitc = 1 :: else -> skip fi; i++ :: else -> break od;
        if :: exitc == 1 && waitcnt > 0 && FX(F_ROLLBACK) -> exitc = 75 :: else -> skip fi;   /* a person has to act first */
        if :: exitc != 0 -> goto cmd_end :: else -> skip fi;   /* an unfinished row: refused */
        k = 0; i = 1; do :: i < NK -> if :: vs[i] == PREV -> k = i :: else -> skip fi; i++ :: else -> break od;  /* newest */
        if :: k == 0 || !KEEPS -> exitc = 1; goto cmd_end :: else -> skip fi;
        jinsert(r, K_RB, S_ROLLBACK, k, curkey)
    }
    CRASHPOINT;
    isres = 0; goto rollback_body;
rollback_after:
    if
    :: err == E_PERSON -> exitc = 75
    :: err != 0 && err != E_PERSON -> exitc = 1
    :: else -> exitc = 0
    fi;
    goto cmd_end;

rollback_body:   /* rollback(journal): check the old secret, redeploy it, switch the states */
    rk = jkey[r]; deploying = 0; needp = 0;
#if FX(F_ROLLBACK)
    if
    :: jstep[r] == S_CONFIRM ->
        if
        :: !confirmed -> err = E_PERSON; goto rollback_ret
        :: else -> atomic { jset(r, S_CLOSED, FINISHED); evid[1] = rk }; goto rollback_ret
        fi
    :: else -> skip
    fi;
#endif
    if
    :: vs[rk] == NONE || vs[rk] == RET -> err = E_FAIL
    :: else -> iverify(rk)
    fi;
    if
#if FX(F_RB_RESUME)
    :: err != 0 && isres -> atomic { jstat[r] = FAILED }; goto rollback_ret
    :: err != 0 && !isres -> atomic { jset(r, S_CLOSED, FAILED) }; goto rollback_ret
#else
    :: err != 0 -> atomic { jset(r, S_CLOSED, FAILED) }; goto rollback_ret   /* "nothing changed anywhere" */
#endif
    :: else -> skip
    fi;
    CRASHPOINT;
    deploying = 1;
    c = 0;
    do
    :: c < NC && err == 0 -> cdeploy(c, rk); c++; if :: err == 0 -> CRASHPOINT :: else -> skip fi
    :: else -> break
    od;
#if FX(F_ROLLBACK)
    /* verify each consumer with the key it now holds; one nobody could check waits for a person */
    unverified = 0;
    c = 0;
    do :: c < NC && err == 0 -> cverify(c, rk); c++ :: else -> break od;
#endif
    if
    :: err != 0 -> atomic { jstat[r] = FAILED }; goto rollback_ret
    :: else -> skip
    fi;
    atomic {
        v_makecurrent(rk, PREV, 1);
        if
#if FX(F_ROLLBACK)
        :: ok && (needp || unverified) -> jset(r, S_CONFIRM, STARTED); err = E_PERSON
        :: ok && !(needp || unverified) -> jset(r, S_CLOSED, FINISHED)
#else
        :: ok -> jset(r, S_CLOSED, FINISHED)
#endif
        :: else -> err = E_FAIL
        fi
    }
rollback_ret:
    if
    :: isres -> goto adv_end
    :: else -> goto rollback_after
    fi;

/* ---------- rotate --retire-now APP ---------- */
retire_now:
    atomic {
        k = 0; i = 1; do :: i < NK -> if :: vs[i] == PREV -> k = i :: else -> skip fi; i++ :: else -> break od;
        if :: k == 0 -> exitc = 1; goto cmd_end :: else -> skip fi;   /* no previous secret */
#if FX(F_RETIRENOW) && !BRK(B_retire_now_while_waiting)
        if :: waitcnt > 0 -> exitc = 75; goto cmd_end :: else -> skip fi;   /* refused while a person has to act */
#endif
        i = 1;
        do :: i < NK -> if :: vs[i] == PREV -> if :: !ripe[i] -> vchg = 1 :: else -> skip fi; ripe[i] = 1; printf("  VAULT key %d: overlap ended now (retire-now)\n", i) :: else -> skip fi; i++
           :: else -> break od
    }
    CRASHPOINT;
    due = 0; ret_run = RUN_CMD; goto run_engine;

/* ---------- rotate APP --abandon ---------- */
abandon:
    atomic {
        rmask = 0;
        i = 1; do :: i <= nrows -> if :: jex[i] && jstep[i] != S_CLOSED -> rmask = rmask | (1 << i) :: else -> skip fi; i++ :: else -> break od;
        if :: rmask == 0 -> exitc = 1; goto cmd_end :: else -> skip fi;
#if FX(F_ABANDON) && !BRK(B_abandon_while_waiting)
        if :: waitcnt > 0 -> exitc = 75; goto cmd_end :: else -> skip fi;  /* a person has to act first */
        i = 1; do :: i <= nrows -> if :: jex[i] && jkind[i] == K_RB && jstep[i] != S_CLOSED -> exitc = 1 :: else -> skip fi; i++ :: else -> break od;
        if :: exitc == 1 -> goto cmd_end :: else -> skip fi;                  /* `rotate` finishes the rollback */
#endif
#if FX(F_ABANDON_KILLS)
        if :: !KEEPS && openrot > 0 -> exitc = 1; goto cmd_end :: else -> skip fi;
#endif
        ri = 1
    }
abandon_loop:
    if
    :: ri > nrows -> exitc = 0; goto cmd_end
    :: (rmask & (1 << ri)) == 0 -> ri++; goto abandon_loop
    :: else -> skip
    fi;
    if
    :: jkind[ri] == K_ROT && jkey[ri] != 0 && vs[jkey[ri]] == PEND ->
        iremove(jkey[ri]);
        if :: err != 0 -> exitc = 1; goto cmd_end :: else -> skip fi;
        CRASHPOINT;
        atomic { v_retire(jkey[ri], PEND); jset(ri, S_CLOSED, FAILED) }
    :: else ->
        /* a run that died inside create left a secret no row names: its marker finds it
           (found by Scripts/stateful-harness.py; the final phase's sweep hid it here) */
        if
        :: jkind[ri] == K_ROT && KEEPS ->
            i = 1;
            do
            :: i < NK && err == 0 -> if :: iss[i] != 0 && mark[i] == ri && vs[i] == NONE -> iremove(i) :: else -> skip fi; i++
            :: else -> break
            od;
            if :: err != 0 -> exitc = 1; goto cmd_end :: else -> skip fi
        :: else -> skip
        fi;
        atomic { jset(ri, S_CLOSED, FAILED) }
    fi;
    CRASHPOINT;
    ri++; goto abandon_loop;

/* ---------- end of a command ---------- */
cmd_end:
    atomic {
        /* I4: a run that found the app waiting for a person and exits 75 changed nothing at the
           issuer and nothing in the vault's credentials (states, overlaps) */
        printf("P%d: exit %d\n", me, exitc);
        if :: CHK(8) && exitc == 75 && w0 -> assert(!ichg && !vchg) :: else -> skip fi;
        if :: lock == me -> lock = 0 :: else -> skip fi;
        err = 0; exitc = 0; r = 0; rr = 0; rk = 0; k = 0; c = 0; i = 0; j = 0; ri = 0; reached = 0; restoring = 0;
        pres = 0; pconf = 0; rmask = 0; prot = 0; pret = 0; prconf = 0; blocked = 0; swait = 0; sfail = 0; isres = 0; needp = 0;
        unverified = 0; ok = 0; w0 = 0; ichg = 0; vchg = 0; deploying = 0; errsave = 0; cur0 = 0;
        ret_adv = 0; ret_ret = 0; ret_abort = 0; ret_run = 0; due = 0; confirmed = 0; cmd = 0
    }
    goto cmd_loop;

crashed:   /* the process dies: its memory is gone, the kernel drops the lock */
    atomic {
        printf("P%d: CRASH\n", me);
        if :: lock == me -> lock = 0 :: else -> skip fi;
        err = 0; exitc = 0; r = 0; rr = 0; rk = 0; k = 0; c = 0; i = 0; j = 0; ri = 0; reached = 0; restoring = 0;
        pres = 0; pconf = 0; rmask = 0; prot = 0; pret = 0; prconf = 0; blocked = 0; swait = 0; sfail = 0; isres = 0; needp = 0;
        unverified = 0; ok = 0; w0 = 0; ichg = 0; vchg = 0; deploying = 0; errsave = 0; cur0 = 0;
        ret_adv = 0; ret_ret = 0; ret_abort = 0; ret_run = 0; due = 0; confirmed = 0; cmd = 0
    }
    goto cmd_loop;

/* ---------- the last process to finish: runs without crashes or faults until quiet ---------- */
runner_done:
    atomic {
        done++;
        if :: done < NRUN -> goto the_end :: else -> skip fi;
        crashes = MAXCRASH; faults = MAXFAULT; printf("FINAL: runs without crashes or faults\n")
    }
    late == 0;       /* a create still in flight lands (or not) first */
    fin = 0;
final_next:
    atomic {
        if
        :: fin == 7 -> goto final_check
        :: else -> skip
        fi;
        /* an honest person: where the app waits (or no apply command), enters the current secret
           and confirms; days pass */
        if :: (PERSON || waitcnt > 0) && curkey != 0 -> holds[1] = curkey :: else -> skip fi;
        i = 1; do :: i < NK -> if :: vs[i] == PREV -> ripe[i] = 1 :: else -> skip fi; i++ :: else -> break od;
        confirmed = PERSON || waitcnt > 0;
        /* runs 0-2: resume and retire; run 3: one more rotation (its retire sweeps late orphans); 4-6: finish it */
        due = (fin == 3);
        err = 0; swait = 0; sfail = 0; ichg = 0; vchg = 0; w0 = 0;
        fin++; ret_run = RUN_FINAL; printf("FINAL run %d (rotate due=%d)\n", fin, due)
    }
    goto run_engine;
final_check:
    atomic {
        /* I3: no secret at the issuer that the vault does not hold as current or previous */
        i = 1;
        do
        :: i < NK ->
            if :: CHK(4) && iss[i] != 0 -> assert(vs[i] == CUR || vs[i] == PREV) :: else -> skip fi; i++
        :: else -> break
        od;
        /* and, quiet, every consumer works (zero downtime restored for a Jamf Pro API client) */
        if :: CHK(1) -> assert(openrot == 0 && OKC(0) && OKC(1)) :: else -> skip fi
    }
the_end:
    skip
}

init {
    atomic {
        vs[1] = CUR; curkey = 1; iss[1] = 2; holds[0] = 1; holds[1] = 1; evid[0] = 1; evid[1] = 1;
        run monitor(); run runner(1); run runner(2)
    }
}
