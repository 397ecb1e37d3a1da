"""A linear-chain conditional random field for slot filling / NER.

`CRF` is a drop-in companion of pytorch-crf's ``torchcrf.CRF`` (it subclasses it): the same
parameters (``start_transitions``, ``end_transitions``, ``transitions``), the same
initialisation and the same log likelihood, so state dicts move freely between the two. What
changes:

- speed: the forward algorithm (Lafferty et al., 2001) runs as one matrix product per step in
  scaled probability space, and decoding is a batched Viterbi whose back-pointers are
  recovered during the backtrace, with no Python loop over the batch;
- masks may have holes and may start with 0 (pytorch-crf needs ``mask[:, 0]`` all on): the
  valid positions of each sequence are moved to the front, the CRF runs on that, and decoded
  tags are put back in place; sequences with no valid position have log likelihood 0 and an
  empty path;
- labels may hold ``-100`` (the Hugging Face "ignore" index): such positions are masked out;
- optional transition constraints for BIO / BIOES tag sets (`allowed_transitions`, built from
  the tag names in `hf_transfer.tagging` and re-exported here), added as a -1e4 penalty in
  decoding and, on request, in training (as AllenNLP's ``ConditionalRandomField`` does).

Emissions are per *word*: the models of this library pool sub-word pieces into words before
the CRF (see `hf_transfer.encoders`), so the CRF only ever sees ``[batch, words, num_tags]``
scores and a word mask; transitions between sub-word pieces would be meaningless.

References: Lafferty, McCallum & Pereira, "Conditional Random Fields", ICML 2001; Lample et
al., "Neural Architectures for Named Entity Recognition", NAACL 2016 (BiLSTM-CRF).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
import torchcrf

# Re-exported: the tag-string side of the CRF (schemes, allowed transitions) lives in `hf_transfer.tagging`.
from ..tagging import (  # noqa: F401
    CRF_CONSTRAINTS,
    IGNORE_INDEX,
    TransitionConstraints,
    allowed_transitions,
    bio_transition_mask,
    check_crf_constraints,
    resolve_crf_scheme,
)


CONSTRAINT_PENALTY = -1e4
"""Score added to a disallowed transition: finite, so a path always exists and nothing is NaN."""


def _as_constraints(constraints, num_tags: int) -> TransitionConstraints:
    """Accept a `TransitionConstraints`, a ``(start, transitions, end)`` triple or a ``[C, C]`` matrix."""
    if isinstance(constraints, torch.Tensor):
        constraints = (None, constraints, None)
    if not isinstance(constraints, tuple) or len(constraints) != 3:
        raise ValueError(
            "`constraints` must be a TransitionConstraints, a (start, transitions, end) tuple or a "
            f"[{num_tags}, {num_tags}] bool tensor, got {type(constraints).__name__}"
        )
    start, trans, end = (None if c is None else torch.as_tensor(c) for c in constraints)
    start = torch.ones(num_tags, dtype=torch.bool) if start is None else start
    end = torch.ones(num_tags, dtype=torch.bool) if end is None else end
    shapes = {"start": (num_tags,), "transitions": (num_tags, num_tags), "end": (num_tags,)}
    for (name, shape), t in zip(shapes.items(), (start, trans, end)):
        if t is None or tuple(t.shape) != shape:
            got = None if t is None else tuple(t.shape)
            raise ValueError(f"`constraints.{name}` must have shape {shape} (num_tags={num_tags}), got {got}")
        if t.dtype != torch.bool:
            raise ValueError(f"`constraints.{name}` must be a bool tensor (True = allowed), got dtype {t.dtype}")
    return TransitionConstraints(start, trans, end)


def _penalties(constraints: TransitionConstraints, like: torch.Tensor):
    return tuple(
        torch.zeros(c.shape, dtype=like.dtype, device=like.device).masked_fill(~c.to(like.device), CONSTRAINT_PENALTY)
        for c in constraints
    )


class CRF(torchcrf.CRF):
    """Linear-chain CRF with pytorch-crf's parameters, a fast likelihood and a batched Viterbi.

    Args:
        num_tags: number of tags ``C``.
        batch_first: inputs are ``[batch, time, ...]`` (default, unlike pytorch-crf) or
            ``[time, batch, ...]``.
        constraints: optional allowed transitions (see `allowed_transitions`); disallowed ones
            get `CONSTRAINT_PENALTY` added in `decode`. Not part of the state dict (rebuild them
            from ``id2label``), so state dicts stay interchangeable with ``torchcrf.CRF``.
        constrain_training: also add the penalties in the likelihood.
    """

    def __init__(self, num_tags: int, batch_first: bool = True, constraints=None, constrain_training: bool = False):
        if not isinstance(num_tags, int) or isinstance(num_tags, bool) or num_tags <= 0:
            raise ValueError(f"`num_tags` must be a positive int, got {num_tags!r}")
        super().__init__(num_tags, batch_first=batch_first)
        self.constrain_training = constrain_training
        self.register_buffer("start_penalty", None, persistent=False)
        self.register_buffer("transition_penalty", None, persistent=False)
        self.register_buffer("end_penalty", None, persistent=False)
        if constraints is not None:
            self.set_constraints(constraints)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(num_tags={self.num_tags}, batch_first={self.batch_first}, "
            f"constrained={self.start_penalty is not None}, constrain_training={self.constrain_training})"
        )

    def set_constraints(self, constraints) -> None:
        """Set (or with ``None`` clear) the allowed transitions; see `allowed_transitions`."""
        if constraints is None:
            self.start_penalty = self.transition_penalty = self.end_penalty = None
            return
        pens = _penalties(_as_constraints(constraints, self.num_tags), self.transitions.detach())
        self.start_penalty, self.transition_penalty, self.end_penalty = pens

    # ------------------------------------------------------------------ inputs
    def _validate(self, emissions, tags=None, mask=None) -> None:
        if not isinstance(emissions, torch.Tensor) or emissions.dim() != 3:
            got = tuple(emissions.shape) if isinstance(emissions, torch.Tensor) else type(emissions).__name__
            raise ValueError(f"`emissions` must be a 3-d tensor [batch, words, num_tags], got {got}")
        if emissions.size(2) != self.num_tags:
            raise ValueError(
                f"`emissions` last dimension must be num_tags={self.num_tags}, got shape {tuple(emissions.shape)}"
            )
        if not emissions.is_floating_point():
            raise ValueError(f"`emissions` must be a floating-point tensor, got dtype {emissions.dtype}")
        for name, t in (("tags", tags), ("mask", mask)):
            if t is None:
                continue
            if not isinstance(t, torch.Tensor) or t.shape != emissions.shape[:2]:
                got = f"shape {tuple(t.shape)}" if isinstance(t, torch.Tensor) else type(t).__name__
                raise ValueError(
                    f"`{name}` must have shape {tuple(emissions.shape[:2])} (emissions' first two dimensions), "
                    f"got {got}"
                )
            if t.is_floating_point() or t.is_complex() or (name == "tags" and t.dtype == torch.bool):
                kind = "an integer" if name == "tags" else "a bool or integer"
                raise ValueError(f"`{name}` must be {kind} tensor, got dtype {t.dtype}")

    def _prepare(self, emissions, tags, mask):
        """Validate, go batch-first, fold ``-100`` labels into the mask and left-compact holes."""
        self._validate(emissions, tags, mask)
        if not self.batch_first:
            emissions = emissions.transpose(0, 1)
            tags = None if tags is None else tags.transpose(0, 1)
            mask = None if mask is None else mask.transpose(0, 1)
        B, T, C = emissions.shape
        mask = torch.ones(B, T, dtype=torch.bool, device=emissions.device) if mask is None else mask.bool()
        if tags is not None:
            tags = tags.long()
            mask = mask & (tags != IGNORE_INDEX)
            tags = tags.masked_fill(~mask, 0)
            if T and B:
                lo, hi = int(tags.min()), int(tags.max())
                if lo < 0 or hi >= C:
                    bad = lo if lo < 0 else hi
                    raise ValueError(f"`tags` must be in [0, {C}) or {IGNORE_INDEX} at valid positions, got {bad}")
        order = None
        if T > 1 and bool((mask[:, 1:] & ~mask[:, :-1]).any()):
            # Not a prefix: move each row's valid positions to the front (stable, so in order).
            order = torch.sort((~mask).to(torch.uint8), dim=1, stable=True).indices
            emissions = emissions.gather(1, order.unsqueeze(2).expand(B, T, C))
            tags = None if tags is None else tags.gather(1, order)
            mask = mask.gather(1, order)
        lengths = mask.sum(1)
        # Clean padding: NaN/inf there must not reach the gradient through masked branches.
        emissions = emissions.masked_fill(~mask.unsqueeze(2), 0.0)
        return emissions, tags, mask, lengths, order

    def _params(self, dtype, constrained: bool):
        start, trans, end = (p.to(dtype) for p in (self.start_transitions, self.transitions, self.end_transitions))
        if constrained and self.start_penalty is not None:
            start = start + self.start_penalty.to(dtype)
            trans = trans + self.transition_penalty.to(dtype)
            end = end + self.end_penalty.to(dtype)
        return start, trans, end

    # ------------------------------------------------------------- likelihood
    def forward(self, emissions, tags, mask=None, reduction: str = "sum") -> torch.Tensor:
        """Log likelihood of ``tags`` given ``emissions`` (pytorch-crf's value and default).

        Args:
            emissions: ``[batch, words, num_tags]`` word-level scores.
            tags: ``[batch, words]`` gold tag ids; ``-100`` marks positions to ignore.
            mask: ``[batch, words]`` bool/int, 1 for real words; may start with 0 or have holes.
            reduction: ``"sum"`` (pytorch-crf's default), ``"mean"`` over sequences, ``"none"``
                (``[batch]``) or ``"token_mean"`` (sum over valid words).
        """
        if reduction not in ("none", "sum", "mean", "token_mean"):
            raise ValueError(f"`reduction` must be one of 'none', 'sum', 'mean', 'token_mean', got {reduction!r}")
        if tags is None:
            raise ValueError("`tags` is required for the likelihood; use `decode` to predict")
        emissions, tags, mask, lengths, _ = self._prepare(emissions, tags, mask)
        if emissions.dtype in (torch.float16, torch.bfloat16):
            emissions = emissions.float()
        llh = self._log_likelihood(emissions, tags, mask, lengths)
        if reduction == "none":
            return llh
        if reduction == "sum":
            return llh.sum()
        if reduction == "mean":
            return llh.mean()
        return llh.sum() / lengths.sum().clamp_min(1).to(llh.dtype)

    def neg_log_likelihood(self, emissions, tags, mask=None, reduction: str = "mean") -> torch.Tensor:
        """The training loss: ``-forward(...)``, averaged over sequences by default."""
        return -self.forward(emissions, tags, mask, reduction=reduction)

    def _log_likelihood(self, em, tags, mask, lengths):
        B, T, C = em.shape
        if T == 0 or B == 0:
            return em.sum(dim=(1, 2)) * 0
        start, trans, end = self._params(em.dtype, self.constrain_training)
        maskf = mask.to(em.dtype)
        # Gold path score by gathers (mask is a prefix here, as pytorch-crf assumes).
        e_gold = em.gather(2, tags.unsqueeze(2)).squeeze(2)
        last_tag = tags.gather(1, (lengths - 1).clamp_min(0).unsqueeze(1)).squeeze(1)
        gold = start[tags[:, 0]] + e_gold[:, 0] + end[last_tag]
        if T > 1:
            gold = gold + (e_gold[:, 1:] * maskf[:, 1:]).sum(1)
            gold = gold + (trans[tags[:, :-1], tags[:, 1:]] * maskf[:, 1:]).sum(1)
        log_z = self._log_partition(em, mask, maskf, start, trans, end)
        return torch.where(lengths > 0, gold - log_z, torch.zeros_like(gold))

    def _log_partition(self, em, mask, maskf, start, trans, end):
        """Forward algorithm with one matmul per step, in scaled probability space.

        ``p`` holds the forward variables divided by a running scale whose log is kept apart;
        ``exp(transitions - column max)`` and the per-step emission factors stay in [0, 1].
        Where a value underflows (log-ranges over ~87 nats in float32) it falls back to the
        exact log-space recursion.
        """
        B, T, C = em.shape
        tiny = torch.finfo(em.dtype).tiny
        col_max = trans.detach().amax(0)
        col_max = torch.where(torch.isfinite(col_max), col_max, torch.zeros_like(col_max))
        E = torch.exp(trans - col_max)  # [C, C], column maxima are 1
        a0 = start + em[:, 0]
        m0 = a0.detach().amax(1, keepdim=True)
        m0 = torch.where(torch.isfinite(m0), m0, torch.zeros_like(m0))
        p = torch.exp(a0 - m0)
        log_z = m0.squeeze(1)
        if T > 1:
            x = em[:, 1:] + col_max
            xm = x.detach().amax(2, keepdim=True)
            xm = torch.where(torch.isfinite(xm), xm, torch.zeros_like(xm))
            X = torch.exp(x - xm).unbind(1)
            on = mask[:, 1:].unsqueeze(2).unbind(1)
            sums, mins = [], []
            for t in range(T - 1):
                q = (p @ E) * X[t]
                s = q.sum(1, keepdim=True).clamp_min(tiny)
                mins.append(q.detach().amin(1))
                sums.append(s)
                p = torch.where(on[t], q / s, p)
            underflow = (torch.stack(mins, 1) < tiny) & mask[:, 1:]
            if bool(underflow.any()):
                return self._log_partition_exact(em, mask, start, trans, end)
            steps = torch.cat(sums, 1).log() + xm.squeeze(2)
            log_z = log_z + (steps * maskf[:, 1:]).sum(1)
        end_max = end.detach().max()
        end_max = end_max if torch.isfinite(end_max) else end_max.new_zeros(())
        tail = (p * torch.exp(end - end_max)).sum(1)
        if not bool((tail > tiny).all()):
            return self._log_partition_exact(em, mask, start, trans, end)
        return log_z + tail.log() + end_max

    @staticmethod
    def _log_partition_exact(em, mask, start, trans, end):
        """pytorch-crf's log-space recursion, batch-first: slower, exact for any range."""
        alpha = start + em[:, 0]
        for t in range(1, em.size(1)):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans + em[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    # --------------------------------------------------------------- decoding
    def decode(self, emissions, mask=None, constraints=None, pad_tag: int = IGNORE_INDEX, as_tensor: bool = False):
        """Best tag sequence of each sequence (Viterbi), the same paths as pytorch-crf.

        Args:
            emissions: ``[batch, words, num_tags]`` word-level scores.
            mask: ``[batch, words]``; may start with 0 or have holes.
            constraints: allowed transitions for this call (default: the module's, if any).
            pad_tag: tag written at masked positions when ``as_tensor``.
            as_tensor: return a ``[batch, words]`` LongTensor aligned with the input (masked
                positions hold ``pad_tag``) instead of pytorch-crf's list of lists.
        """
        paths, lengths, order = self._viterbi(emissions, mask, constraints, pad_tag)
        if as_tensor:
            return self._restore(paths, order, pad_tag)
        rows = paths.tolist()
        return [row[:n] for row, n in zip(rows, lengths.tolist())]

    def _restore(self, paths, order, pad_tag):
        if order is not None:
            paths = torch.full_like(paths, pad_tag).scatter_(1, order, paths)
        return paths if self.batch_first else paths.transpose(0, 1)

    @torch.no_grad()
    def _viterbi(self, emissions, mask, constraints, pad_tag):
        em, _, mask, lengths, order = self._prepare(emissions, None, mask)
        B, T, C = em.shape
        if T == 0 or B == 0:
            return torch.full((B, T), pad_tag, dtype=torch.long, device=em.device), lengths, order
        start, trans, end = self._params(em.dtype, False)
        if constraints is not None:
            pen = _penalties(_as_constraints(constraints, C), trans)
            start, trans, end = start + pen[0], trans + pen[1], end + pen[2]
        elif self.start_penalty is not None:
            start, trans, end = self._params(em.dtype, True)
        trans_t = trans.t().contiguous()
        # Pruning: the best predecessor of any tag scores within the largest column range of
        # `transitions` of the row's best score, so on CPU only those rows of `transitions` are
        # read (exact; `slack` also covers float rounding, |score| <= `bound`).
        col_range = float((trans.amax(0) - trans.amin(0)).max())
        bound = float(start.abs().max() + T * (em.abs().max() + trans.abs().max()))
        slack = col_range + 1e-3 + 1e-5 * bound
        prune = em.device.type == "cpu" and math.isfinite(slack) and C >= 16
        # Longest rows first, so the rows still running at step t are a prefix [:n[t]] of the
        # batch (the mask is a prefix of each row here).
        _, perm = lengths.sort(descending=True, stable=True)
        em_t = em[perm].unbind(1)
        n = (lengths.unsqueeze(0) > torch.arange(T + 1, device=em.device).unsqueeze(1)).sum(1).tolist()
        score = start + em_t[0]
        history = [score]
        for t in range(1, T):
            if n[t] == 0:
                break
            score = self._max_plus(score[: n[t]], trans, trans_t, slack, prune) + em_t[t][: n[t]]
            history.append(score)
        # Each row's last score: rows [n[t+1], n[t]) end at step t; empty rows take step 0.
        ends = [history[t][n[t + 1] : n[t]] for t in range(len(history) - 1, -1, -1)]
        final = torch.cat(ends + [history[0][n[0] :]])
        # Backtrace: recover each back-pointer as pytorch-crf's argmax over
        # (score[t-1] + transitions[:, tag]) + emission[tag], so ties break the same way.
        cur = (final + end).argmax(1)
        cols = [cur] * T
        for t in range(len(history) - 1, 0, -1):
            m = n[t]
            e_cur = em_t[t][:m].gather(1, cur[:m].unsqueeze(1))
            cand = ((history[t - 1][:m] + F.embedding(cur[:m], trans_t)) + e_cur).argmax(1)
            cur = torch.cat([cand, cur[m:]]) if m < B else cand
            cols[t - 1] = cur
        paths = torch.empty(B, T, dtype=torch.long, device=em.device)
        paths[perm] = torch.stack(cols, 1)
        valid = torch.arange(T, device=em.device).unsqueeze(0) < lengths.unsqueeze(1)
        return paths.masked_fill_(~valid, pad_tag), lengths, order

    @staticmethod
    def _max_plus(score, trans, trans_t, slack, prune):
        """``max_i score[:, i] + trans[i, j]``, exactly, reading only rows that can hold the max."""
        C = score.size(1)
        if prune:
            k = max(int((score >= score.amax(1, keepdim=True) - slack).sum(1).max()), 1)
            if 4 * k <= C:
                vals, idx = score.topk(k, dim=1, sorted=False)
                # Row chunks under ATen's parallel grain (32768 elements): these small ops run
                # serially, with no thread hand-off per step (costly on a loaded machine).
                rows = max(1, 32768 // (k * C))
                if rows >= score.size(0) or score.size(0) > 16 * rows:
                    return (vals.unsqueeze(2) + F.embedding(idx, trans)).amax(1)
                parts = zip(vals.split(rows), idx.split(rows))
                return torch.cat([(v.unsqueeze(2) + F.embedding(i, trans)).amax(1) for v, i in parts])
        return (score.unsqueeze(1) + trans_t).amax(2)


def tagging_loss(crf: CRF | None, emissions: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The tag loss of a word-level tagging head: the CRF's negative log-likelihood (mean over
    sequences) with a CRF, else per-word cross-entropy. `labels` may hold -100; positions outside
    `mask` are ignored."""
    labels = labels.long().masked_fill(~mask.bool(), IGNORE_INDEX)
    if crf is not None:
        return crf.neg_log_likelihood(emissions, labels, mask, reduction="mean")
    return F.cross_entropy(emissions.reshape(-1, emissions.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX)


@torch.no_grad()
def decode_tags(crf: CRF | None, emissions: torch.Tensor, mask: torch.Tensor, constraints=None) -> torch.Tensor:
    """Best tag ids per word `[batch, words]`, -100 outside `mask`: (constrained) Viterbi with a
    CRF, else the argmax of the emissions."""
    mask = mask.bool()
    if crf is not None:
        return crf.decode(emissions, mask, constraints=constraints, as_tensor=True, pad_tag=IGNORE_INDEX)
    return emissions.argmax(-1).masked_fill(~mask, IGNORE_INDEX)


class CRFTaggingMixin:
    """For models with a `crf` attribute (a `CRF` or None) and a config with
    `resolved_crf_scheme()`: the decoding constraints, built once from the tag names in
    `config.<crf_tag_names_attr>` (not buffers: they are not weights, and `from_pretrained`
    builds modules on the meta device), and a weight init that keeps pytorch-crf's own."""

    crf_tag_names_attr = "id2label"
    _constraints: TransitionConstraints | None = None

    @torch.no_grad()
    def decode_tags(self, emissions: torch.Tensor, word_mask: torch.Tensor) -> torch.Tensor:
        """Best tag ids per word `[batch, words]`, -100 at padding: constrained Viterbi with a
        CRF, else the argmax of the emissions."""
        return decode_tags(self.crf, emissions, word_mask, self.crf_constraints())

    def crf_constraints(self) -> TransitionConstraints | None:
        """The allowed tag transitions of `config.crf_constraints` (None: unconstrained)."""
        scheme = self.config.resolved_crf_scheme()
        if scheme is None:
            return None
        if self._constraints is None:
            self._constraints = allowed_transitions(getattr(self.config, self.crf_tag_names_attr), scheme)
        return self._constraints

    def _init_weights(self, module):
        if isinstance(module, CRF):
            return  # pytorch-crf's own uniform(-0.1, 0.1) init
        super()._init_weights(module)
