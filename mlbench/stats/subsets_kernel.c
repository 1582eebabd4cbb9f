/* The compiled engine of mlbench.stats.subsets.best_subsets: exact best subset of every size by branch and bound.
 *
 * Plain C (no Python headers), built ahead of time when mlbench is installed (hatch_build.py) and loaded with
 * ctypes by subsets_kernel.py, so no search ever waits for a compiler. It is the numpy engine's search
 * (`subsets._BranchAndBound`, after A. Miller's xhaust as used by leaps) as one loop with an explicit stack, with
 * per-size lower bounds that prune harder, and with the tree's subtrees shared out over threads.
 *
 * State: an ordering of the variables and an upper-triangular R ((p+1) x (p+1), row-major, y in the last column)
 * with R'R = Gram matrix of the ordered, scaled [X, y]. The RSS of the model made of the first L variables is the
 * sum of squares of R's y column from row L down.
 *
 * Threads: every thread walks the same first `split` levels of the tree (nodes with fewer than `split` variables
 * forced in) on its own copy of R, with decisions that do not depend on the incumbents, so the walk and its
 * numbers are identical in every thread. Each subtree below that level is a task with a number in walk order;
 * a thread claims numbers from a shared counter and searches only the subtrees it claimed, then restores its copy
 * of the state, so every subtree is searched exactly once. Incumbents (best RSS and set per size) are shared:
 * read without a lock (a stale read only prunes less), written under one.
 */

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TIE_RTOL 1e-9       /* RSS values this close (relative) are ties: rounding, not a real difference ... */
#define TIE_ATOL 1e-18      /* ... plus this fraction of the null RSS, for models that interpolate y */
#define BOUND_MARGIN 1e-6   /* RSS increments used as bounds are shrunk by this fraction */
#define BOUND_MAX_COND 1e6  /* ... and only taken from blocks whose triangle is this well conditioned */
#define KEEP_INVERSE_LAM 1e-8 /* the smallest eigenvalue of the scaled Gram matrix above which R's inverse is kept */

enum { ENTER, AFTER, RETURN };

#define MAX_P 128 /* a model is a set of column indices kept as bits in two 64-bit words */
typedef struct { uint64_t w[2]; } Mask;

typedef struct {
    int p, kmin, kmax, split;
    double null_rss, lam;
    double *best;      /* p + 1: best RSS per size (read racily, written under lock) */
    Mask *masks;       /* p + 1: its set of column indices as bits (under lock) */
    pthread_mutex_t lock;
    long next_task;    /* shared counter of claimed subtrees */
    long moves;        /* QR updates done, all threads */
    const double *R0;
    const int64_t *order0;
    const double *thr0;
} Shared;

typedef struct {
    Shared *sh;
    int p, P1;
    double *R, *thr, *C_inv, *beta, *delta, *sorted2, *lower, *tmp, *acc;
    double *saved_R, *saved_thr;
    double *W, *saved_W; /* with use_w: W = inverse of R's leading p x p triangle, kept in step with R; stored
                          * transposed (WW), so a rotation of two of its columns runs along memory */
    int use_w;
    int64_t *order, *perm, *saved_order, *stack;
    long moves, seen, claimed;
} Work;

#define RR(w, i, j) ((w)->R[(size_t)(i) * (w)->P1 + (j)])
#define CI(w, i, j) ((w)->C_inv[(size_t)(i) * (w)->p + (j)])
#define WW(w, i, j) ((w)->W[(size_t)(j) * (w)->p + (i)]) /* W is stored transposed: its columns are rows */

static inline double best_of(const Shared *sh, int k) {
    double b;
    __atomic_load(&sh->best[k], &b, __ATOMIC_RELAXED);
    return b;
}

/* RSS `rss` of size k can beat or tie the best of that size. */
static inline int could_improve(const Shared *sh, double rss, int k) {
    double b = best_of(sh, k);
    return rss <= b + (TIE_RTOL * b + TIE_ATOL * sh->null_rss);
}

/* Keep (rss, mask) as best of size k if lower, or tied and lexicographically earlier: the set owning the lowest
 * column index of the two sets' symmetric difference. */
static void offer(Shared *sh, double rss, int k, Mask mask) {
    pthread_mutex_lock(&sh->lock);
    Mask incumbent = sh->masks[k];
    double b = sh->best[k];
    if ((incumbent.w[0] | incumbent.w[1]) == 0) {
        __atomic_store(&sh->best[k], &rss, __ATOMIC_RELAXED);
        sh->masks[k] = mask;
    } else {
        double slack = TIE_RTOL * b + TIE_ATOL * sh->null_rss;
        if (rss < b - slack) {
            __atomic_store(&sh->best[k], &rss, __ATOMIC_RELAXED);
            sh->masks[k] = mask;
        } else if (rss <= b + slack) {
            int word = (mask.w[0] ^ incumbent.w[0]) ? 0 : 1;
            uint64_t diff = mask.w[word] ^ incumbent.w[word];
            uint64_t lowest = diff & (~diff + 1);
            if (mask.w[word] & lowest) {
                double m = rss < b ? rss : b;
                __atomic_store(&sh->best[k], &m, __ATOMIC_RELAXED);
                sh->masks[k] = mask;
            }
        }
    }
    pthread_mutex_unlock(&sh->lock);
}

static inline void set_bit(Mask *m, int64_t j) { m->w[j >> 6] |= (uint64_t)1 << (j & 63); }

static int first_dependent(Work *w, int start, int stop) {
    for (int i = start; i < stop; i++)
        if (fabs(RR(w, i, i)) <= w->thr[i]) return i;
    return stop;
}

/* Offer the full-rank prefix models of lengths lo..hi; return the RSS of the prefix of length hi. */
static double report_prefixes(Work *w, int lo, int hi, int kmax) {
    int p = w->p;
    double tail = 0.0;
    for (int r = p; r >= hi; r--) tail += RR(w, r, p) * RR(w, r, p);
    int top = first_dependent(w, lo - 1, hi);
    if (hi < top) top = hi;
    if (kmax < top) top = kmax;
    if (top < lo) return tail;
    double rss = tail;
    for (int r = hi - 1; r >= top; r--) rss += RR(w, r, p) * RR(w, r, p);
    for (int length = top; length >= lo; length--) {
        if (length < top) rss += RR(w, length, p) * RR(w, length, p);
        if (could_improve(w->sh, rss, length)) {
            Mask mask = {{0, 0}};
            for (int i = 0; i < length; i++) set_bit(&mask, w->order[i]);
            offer(w->sh, rss, length, mask);
        }
    }
    return tail;
}

/* Givens rotation of rows i and i+1 that zeroes R[i+1, c0], applied to columns c0.. of both; with use_w, W (the
 * inverse) gets the transposed rotation on its columns i and i+1 (R_new = G R: W_new = W G'), in rows 0..i+1 (the
 * rows that can be nonzero there) and row `extra` when >= 0. */
/* The hot loop: an AVX2 clone where the CPU has it (chosen at load; element-wise, so the same numbers). */
__attribute__((target_clones("avx2", "default")))
static void rotate(Work *w, int i, int c0, int extra) {
    double a = RR(w, i, c0), b = RR(w, i + 1, c0);
    if (b == 0.0) return;
    /* |a|, |b| <= 1: X is scaled to unit columns; one division, not two (its latency is on the chain) */
    double r = sqrt(a * a + b * b), inv = 1.0 / r, c = a * inv, s = b * inv;
    RR(w, i, c0) = r;
    RR(w, i + 1, c0) = 0.0;
    double *ri = &RR(w, i, 0), *rn = &RR(w, i + 1, 0);
    for (int j = c0 + 1; j < w->P1; j++) {
        double x = ri[j], z = rn[j];
        ri[j] = c * x + s * z;
        rn[j] = c * z - s * x;
    }
    if (w->use_w) {
        double *wi = &WW(w, 0, i), *wn = &WW(w, 0, i + 1);
        for (int r = 0; r <= i + 1; r++) {
            double x = wi[r], z = wn[r];
            wi[r] = c * x + s * z;
            wn[r] = c * z - s * x;
        }
        if (extra > i + 1) {
            double x = wi[extra], z = wn[extra];
            wi[extra] = c * x + s * z;
            wn[extra] = c * z - s * x;
        }
    }
}

/* The variable at pos goes to position end-1; Givens rotations re-triangularise the Hessenberg rows. */
static void move_behind(Work *w, int pos, int end) {
    for (int i = 0; i < end; i++) {
        double *row = &RR(w, i, 0);
        double t = row[pos];
        memmove(row + pos, row + pos + 1, sizeof(double) * (size_t)(end - 1 - pos));
        row[end - 1] = t;
    }
    int64_t moved = w->order[pos];
    double moved_thr = w->thr[pos];
    for (int j = pos; j < end - 1; j++) {
        w->order[j] = w->order[j + 1];
        w->thr[j] = w->thr[j + 1];
    }
    w->order[end - 1] = moved;
    w->thr[end - 1] = moved_thr;
    if (w->use_w) { /* rows pos..end-1 of W are zero left of column pos: rotate them up by one in columns pos.. */
        for (int c = pos; c < w->p; c++) {
            double *col = &WW(w, 0, c), t = col[pos];
            memmove(col + pos, col + pos + 1, sizeof(double) * (size_t)(end - 1 - pos));
            col[end - 1] = t;
        }
    }
    /* W's row end-1 is its old row pos; its rows r in pos..end-2 (old rows r+1) are zero left of column r+1 */
    for (int i = pos; i < end - 1; i++) rotate(w, i, i, end - 1);
}

/* Swap the variables at positions i and i+1 and re-triangularise with one Givens rotation. */
static void swap_adjacent(Work *w, int i) {
    for (int r = 0; r <= i + 1; r++) {
        double t = RR(w, r, i);
        RR(w, r, i) = RR(w, r, i + 1);
        RR(w, r, i + 1) = t;
    }
    int64_t o = w->order[i];
    w->order[i] = w->order[i + 1];
    w->order[i + 1] = o;
    double t = w->thr[i];
    w->thr[i] = w->thr[i + 1];
    w->thr[i + 1] = t;
    if (w->use_w) {
        for (int c = i; c < w->p; c++) {
            double x = WW(w, i, c);
            WW(w, i, c) = WW(w, i + 1, c);
            WW(w, i + 1, c) = x;
        }
    }
    rotate(w, i, i, -1);
}

/* Reorder positions pos..end-1 by perm (relative to pos): insertion sort by adjacent swaps, each re-triangularised
 * by one rotation, so a nearly sorted block (the usual case: the parent's order) costs a few rows; 0 if perm is
 * the identity. */
static int permute(Work *w, int pos, int end) {
    int d = end - pos, moved = 0;
    for (int i = 0; i < d; i++) w->tmp[w->perm[i]] = (double)i; /* target rank of each current position */
    for (int i = 1; i < d; i++) {
        for (int j = i; j > 0 && w->tmp[j - 1] > w->tmp[j]; j--) {
            double t = w->tmp[j - 1];
            w->tmp[j - 1] = w->tmp[j];
            w->tmp[j] = t;
            swap_adjacent(w, pos + j - 1);
            moved = 1;
        }
    }
    return moved;
}

/* For the block pos..end-1 in the model of the first `end` variables: coefficients (beta) and the RSS increase
 * from dropping each one alone (delta = beta^2 / [(C'C)^-1]_jj, C the block's triangle). Returns
 * ||C||_F ||C^-1||_F (inf when C is singular). */
static double block_stats(Work *w, int pos, int end) {
    int p = w->p, d = end - pos;
    double c_norm = 0.0;
    for (int i = 0; i < d; i++)
        for (int j = i; j < d; j++) c_norm += RR(w, pos + i, pos + j) * RR(w, pos + i, pos + j);
    /* the block's inverse: the same block of W (diagonal blocks of a triangle's inverse are the blocks'
     * inverses), else computed here by back substitution */
    const double *inv = w->use_w ? &WW(w, pos, pos) : w->C_inv;
    if (!w->use_w) {
        for (int j = d - 1; j >= 0; j--) {
            if (RR(w, pos + j, pos + j) == 0.0) return INFINITY;
            CI(w, j, j) = 1.0 / RR(w, pos + j, pos + j);
            for (int i = j - 1; i >= 0; i--) {
                double s = 0.0;
                for (int t = i + 1; t <= j; t++) s += RR(w, pos + i, pos + t) * CI(w, t, j);
                CI(w, i, j) = -s / RR(w, pos + i, pos + i);
            }
        }
    }
    double inv_norm = 0.0;
    double *b = w->beta, *v = w->delta;
    for (int i = 0; i < d; i++) b[i] = v[i] = 0.0;
    for (int j = 0; j < d; j++) { /* column j of the inverse (row j of its transposed store): entries 0..j */
        const double *col = w->use_w ? inv + (size_t)j * p : NULL;
        double zj = RR(w, pos + j, p);
        for (int i = 0; i <= j; i++) {
            double x = w->use_w ? col[i] : CI(w, i, j);
            b[i] += x * zj;
            v[i] += x * x;
        }
    }
    for (int i = 0; i < d; i++) {
        inv_norm += v[i];
        v[i] = b[i] * b[i] / v[i];
    }
    return sqrt(c_norm * inv_norm);
}

static void sort_doubles(double *a, int n) {
    for (int i = 1; i < n; i++) {
        double x = a[i];
        int j = i - 1;
        while (j >= 0 && a[j] > x) { a[j + 1] = a[j]; j--; }
        a[j + 1] = x;
    }
}

/* The free block most important first (dependent variables to the back); numpy's `_sort_free`. */
static void sort_free(Work *w, int pos, int end, int kmax, int have_stats) {
    if (end - pos < 3) return;
    int dependent = 0;
    for (int i = pos; i < end; i++)
        if (fabs(RR(w, i, i)) <= w->thr[i]) dependent++;
    if (dependent > 0) {
        int n_ok = 0;
        for (int i = 0; i < end - pos; i++)
            if (fabs(RR(w, pos + i, pos + i)) > w->thr[pos + i]) w->perm[n_ok++] = i;
        for (int i = 0; i < end - pos; i++)
            if (fabs(RR(w, pos + i, pos + i)) <= w->thr[pos + i]) w->perm[n_ok++] = i;
        if (permute(w, pos, end)) report_prefixes(w, pos + 1, end, kmax);
        end -= dependent;
        if (end - pos < 2) return;
        for (int i = pos; i < end; i++)
            if (fabs(RR(w, i, i)) <= w->thr[i]) return; /* numerically borderline: keep this order */
        have_stats = 0;
    }
    if (!have_stats && !isfinite(block_stats(w, pos, end))) return;
    int d = end - pos;
    for (int i = 0; i < d; i++) { /* stable argsort of -delta (insertion sort: d <= 64) */
        int64_t cur = i;
        int j = i - 1;
        while (j >= 0 && -w->delta[w->perm[j]] > -w->delta[cur]) { w->perm[j + 1] = w->perm[j]; j--; }
        w->perm[j + 1] = cur;
    }
    if (permute(w, pos, end)) report_prefixes(w, pos + 1, end, kmax);
}

/* Every model F + {v}, v free, from rows pos.. of R (Miller's ADD1). */
static void add_one(Work *w, int pos, int end) {
    int p = w->p, d = end - pos;
    Mask base = {{0, 0}};
    for (int i = 0; i < pos; i++) set_bit(&base, w->order[i]);
    double below_end = 0.0;
    for (int r = p; r >= end; r--) below_end += RR(w, r, p) * RR(w, r, p);
    /* Row by row (along memory), each column's sums in the same order as a column-by-column loop: the same numbers */
    double *den = w->acc, *num = den + d, *coef = num + d, *rss = coef + d;
    for (int c = 0; c < d; c++) den[c] = num[c] = 0.0;
    for (int i = pos; i < end; i++) {
        const double *row = &RR(w, i, 0);
        double z = row[p];
        for (int c = i; c < end; c++) {
            den[c - pos] += row[c] * row[c];
            num[c - pos] += row[c] * z;
        }
    }
    for (int c = 0; c < d; c++) {
        coef[c] = num[c] / den[c];
        rss[c] = below_end;
    }
    for (int i = pos + 1; i < end; i++) { /* the rows below each column: z_i^2 for i > c */
        double z2 = RR(w, i, p) * RR(w, i, p);
        for (int c = pos; c < i; c++) rss[c - pos] += z2;
    }
    for (int i = pos; i < end; i++) {
        const double *row = &RR(w, i, 0);
        double z = row[p];
        for (int c = i; c < end; c++) {
            double e = z - row[c] * coef[c - pos];
            rss[c - pos] += e * e;
        }
    }
    for (int c = pos; c < end; c++) {
        if (!(den[c - pos] > w->thr[c] * w->thr[c])) continue;
        if (could_improve(w->sh, rss[c - pos], pos + 1)) {
            Mask mask = base;
            set_bit(&mask, w->order[c]);
            offer(w->sh, rss[c - pos], pos + 1, mask);
        }
    }
}

/* Per-size bounds at the node (F = first pos variables, D = pos..end-1, every model F + a subset of D): a model
 * of size s drops m = end - s variables T of D, and its RSS exceeds RSS(F + D) by beta_T' [(S^-1)_TT]^-1 beta_T,
 * S the Gram matrix of D orthogonalised against F. That is at least lam * (sum of the m smallest beta_j^2), lam =
 * smallest eigenvalue of the whole scaled Gram matrix, which bounds S's from below at every node (S is a Schur
 * complement of a principal submatrix of it), and at least the smallest single-drop increase delta_j (dropping
 * more only adds). The m-th smallest delta is a valid bound too, but sorting for it cost 8% of the search and
 * pruned a size where the eigenvalue bound did not at 368 of 565,000 prunes (lmSubsets' design, nvar 50).
 * Narrows [*kmin, *kmax] to the sizes that can still improve; 0 when none can. */
static int narrow_sizes(Work *w, int pos, int end, double bound, int *kmin, int *kmax, int *have_stats) {
    Shared *sh = w->sh;
    int lo = pos + 1 > *kmin ? pos + 1 : *kmin;
    int hi = *kmax < end - 1 ? *kmax : end - 1;
    if (hi < lo) return 0;
    int d = end - pos;
    int full_rank = 1;
    for (int i = pos; i < end; i++)
        if (fabs(RR(w, i, i)) <= w->thr[i]) { full_rank = 0; break; }
    int use_increments = 0;
    *have_stats = 0;
    if (full_rank && hi > pos + 1) {
        double cond = block_stats(w, pos, end);
        *have_stats = isfinite(cond);
        use_increments = cond < BOUND_MAX_COND;
    }
    for (int s = lo; s <= hi; s++) w->lower[s] = bound;
    if (use_increments) {
        double delta_min = w->delta[0];
        for (int i = 1; i < d; i++) delta_min = w->delta[i] < delta_min ? w->delta[i] : delta_min;
        /* reversed: the block is in descending delta order (sort_free), so nearly ascending for the sort */
        for (int i = 0; i < d; i++) w->sorted2[i] = w->beta[d - 1 - i] * w->beta[d - 1 - i];
        sort_doubles(w->sorted2, d);
        double beta2_sum = 0.0;
        for (int m = 1; m <= d; m++) {
            beta2_sum += w->sorted2[m - 1];
            int size = end - m;
            if (lo <= size && size <= hi) {
                double inc = delta_min > sh->lam * beta2_sum ? delta_min : sh->lam * beta2_sum;
                w->lower[size] = bound + (1.0 - BOUND_MARGIN) * inc;
            }
        }
    }
    int new_kmin = -1, new_kmax = -1;
    for (int s = lo; s <= hi; s++) {
        if (could_improve(sh, w->lower[s], s)) {
            if (new_kmin < 0) new_kmin = s;
            new_kmax = s;
        }
    }
    if (new_kmin < 0) return 0;
    *kmin = new_kmin;
    *kmax = new_kmax;
    return 1;
}

static void save_state(Work *w) {
    memcpy(w->saved_R, w->R, sizeof(double) * (size_t)w->P1 * w->P1);
    memcpy(w->saved_order, w->order, sizeof(int64_t) * (size_t)w->p);
    memcpy(w->saved_thr, w->thr, sizeof(double) * (size_t)w->p);
    if (w->use_w) memcpy(w->saved_W, w->W, sizeof(double) * (size_t)w->p * w->p);
}

static void restore_state(Work *w) {
    memcpy(w->R, w->saved_R, sizeof(double) * (size_t)w->P1 * w->P1);
    memcpy(w->order, w->saved_order, sizeof(int64_t) * (size_t)w->p);
    memcpy(w->thr, w->saved_thr, sizeof(double) * (size_t)w->p);
    if (w->use_w) memcpy(w->W, w->saved_W, sizeof(double) * (size_t)w->p * w->p);
}

/* The numpy engine's `_search` as one loop with an explicit stack (see the file's comment for the threads). */
static void search(Work *w) {
    Shared *sh = w->sh;
    int p = w->p, split = sh->split;
    int depth = 0, pos = 0, end = p, kmin = sh->kmin, kmax = sh->kmax;
    report_prefixes(w, 1, end, kmax);
    sort_free(w, pos, end, kmax, 0);
    int state = ENTER;
    for (;;) {
        if (state == ENTER) {
            if (!(pos + 1 <= kmax && end - pos >= 2 && end - 1 >= kmin)) { state = RETURN; continue; }
            if (kmax == pos + 1) {
                add_one(w, pos, end); /* in the shared walk every thread does it: offers are idempotent */
                state = RETURN;
                continue;
            }
            if (fabs(RR(w, pos, pos)) > w->thr[pos]) { /* models with F + v: search them first ("call") */
                int descend = 1;
                if (pos == split - 1) { /* a task: the subtree below the shared walk */
                    long task = w->seen++;
                    descend = task == w->claimed;
                    if (descend) {
                        w->claimed = __atomic_fetch_add(&sh->next_task, 1, __ATOMIC_RELAXED);
                        save_state(w);
                    }
                }
                if (descend) {
                    int64_t *frame = &w->stack[4 * depth];
                    frame[0] = pos; frame[1] = end; frame[2] = kmin; frame[3] = kmax;
                    depth++;
                    pos++;
                    continue;
                }
            }
            state = AFTER;
        }
        if (state == AFTER) { /* models without v */
            move_behind(w, pos, end);
            w->moves++;
            end--;
            double bound = report_prefixes(w, pos + 1, end, kmax);
            int have_stats = 0;
            if (pos < split) { /* the shared walk: sizes by structure only, the same in every thread */
                int lo = pos + 1 > kmin ? pos + 1 : kmin, hi = kmax < end - 1 ? kmax : end - 1;
                if (hi < lo) { state = RETURN; continue; }
                kmin = lo;
                kmax = hi;
            } else if (!narrow_sizes(w, pos, end, bound, &kmin, &kmax, &have_stats)) {
                state = RETURN;
                continue;
            }
            if (kmax > pos + 2) sort_free(w, pos, end, kmax, have_stats); /* for pos + 2: a few more moves, less work */
            state = ENTER;
            continue;
        }
        if (depth == 0) break; /* RETURN */
        depth--;
        int64_t *frame = &w->stack[4 * depth];
        pos = (int)frame[0]; end = (int)frame[1]; kmin = (int)frame[2]; kmax = (int)frame[3];
        if (pos == split - 1) restore_state(w); /* back from a task: the shared walk's state again */
        state = AFTER;
    }
}

static Work *work_new(Shared *sh) {
    int p = sh->p, P1 = p + 1;
    Work *w = calloc(1, sizeof(Work));
    if (!w) return NULL;
    w->sh = sh;
    w->p = p;
    w->P1 = P1;
    w->R = malloc(sizeof(double) * (size_t)P1 * P1);
    w->saved_R = malloc(sizeof(double) * (size_t)P1 * P1);
    w->C_inv = calloc((size_t)p * p + 1, sizeof(double));
    w->W = calloc((size_t)p * p + 1, sizeof(double));
    w->saved_W = calloc((size_t)p * p + 1, sizeof(double));
    double **vecs[] = {&w->thr, &w->beta, &w->delta, &w->sorted2, &w->lower, &w->tmp, &w->saved_thr};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) *vecs[i] = calloc((size_t)P1 + 1, sizeof(double));
    w->order = calloc((size_t)P1, sizeof(int64_t));
    w->saved_order = calloc((size_t)P1, sizeof(int64_t));
    w->perm = calloc((size_t)P1, sizeof(int64_t));
    w->acc = calloc((size_t)4 * P1, sizeof(double));
    w->stack = calloc((size_t)4 * (p + 2), sizeof(int64_t));
    int ok = w->acc && w->R && w->saved_R && w->C_inv && w->W && w->saved_W && w->order && w->saved_order && w->perm
             && w->stack;
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++) ok = ok && *vecs[i];
    if (ok) {
        memcpy(w->R, sh->R0, sizeof(double) * (size_t)P1 * P1);
        memcpy(w->order, sh->order0, sizeof(int64_t) * (size_t)p);
        memcpy(w->thr, sh->thr0, sizeof(double) * (size_t)p);
        /* Keep the inverse only for a well-conditioned design (smallest singular value of the scaled X >= 1e-4):
         * it is then updated by the same rotations as R, with drift far inside the bounds' margin. */
        w->use_w = sh->lam >= KEEP_INVERSE_LAM;
        for (int j = p - 1; j >= 0 && w->use_w; j--) {
            if (RR(w, j, j) == 0.0) { w->use_w = 0; break; }
            WW(w, j, j) = 1.0 / RR(w, j, j);
            for (int i = j - 1; i >= 0; i--) {
                double s = 0.0;
                for (int t = i + 1; t <= j; t++) s += RR(w, i, t) * WW(w, t, j);
                WW(w, i, j) = -s / RR(w, i, i);
            }
        }
    }
    if (!ok) {
        w->p = -1; /* marks a failed allocation; freed by work_free */
    }
    return w;
}

static void work_free(Work *w) {
    if (!w) return;
    void *ptrs[] = {w->acc, w->R, w->saved_R, w->C_inv, w->W, w->saved_W, w->thr, w->beta, w->delta, w->sorted2,
                    w->lower, w->tmp, w->saved_thr, w->order, w->saved_order, w->perm, w->stack};
    for (size_t i = 0; i < sizeof ptrs / sizeof ptrs[0]; i++) free(ptrs[i]);
    free(w);
}

static void *thread_main(void *arg) {
    Work *w = arg;
    w->claimed = __atomic_fetch_add(&w->sh->next_task, 1, __ATOMIC_RELAXED);
    search(w);
    __atomic_fetch_add(&w->sh->moves, w->moves, __ATOMIC_RELAXED);
    return NULL;
}

/* Search every size 1..kmax. R: (p+1) x (p+1) row-major triangle of the ordered scaled [X, y] (not modified);
 * order: the column index of each position; thr: each position's dependence threshold; best (p + 1) and masks
 * ((p + 1) x 2 words) receive the best RSS and set per size (masks 0 where no full-rank model exists); sizes
 * kmin..kmax are searched (smaller ones may be filled on the way, unproven). threads > 1 shares the
 * subtrees below `split` forced-in variables out (split >= 1). Returns the number of QR updates, or -1 when
 * memory or a thread could not be had. */
long mlbench_best_subsets(int p, const double *R, const int64_t *order, const double *thr, int kmax,
                          double null_rss, double lam, double *best, uint64_t *masks, int threads, int split,
                          int kmin) {
    if (p < 1 || p > MAX_P || threads < 1 || kmin < 1) return -1;
    Shared sh = {0};
    sh.p = p;
    sh.kmax = kmax;
    sh.split = threads > 1 ? (split < 1 ? 1 : split) : 0;
    sh.null_rss = null_rss;
    sh.lam = lam;
    sh.best = best;
    sh.masks = (Mask *)masks;
    sh.kmin = kmin;
    sh.R0 = R;
    sh.order0 = order;
    sh.thr0 = thr;
    for (int k = 0; k <= p; k++) { best[k] = INFINITY; sh.masks[k].w[0] = sh.masks[k].w[1] = 0; }
    pthread_mutex_init(&sh.lock, NULL);
    Work *works[64] = {0};
    pthread_t ids[64];
    if (threads > 64) threads = 64;
    long result = 0;
    for (int t = 0; t < threads; t++) {
        works[t] = work_new(&sh);
        if (!works[t] || works[t]->p < 0) result = -1;
    }
    if (result == 0) {
        int started = 0;
        for (int t = 1; t < threads; t++) {
            if (pthread_create(&ids[t], NULL, thread_main, works[t]) != 0) break;
            started = t;
        }
        thread_main(works[0]);
        for (int t = 1; t <= started; t++) pthread_join(ids[t], NULL);
        /* a thread that could not start left its claimed task undone: this search is incomplete */
        result = started == threads - 1 ? sh.moves : -1;
    }
    for (int t = 0; t < threads; t++) work_free(works[t]);
    pthread_mutex_destroy(&sh.lock);
    return result;
}
