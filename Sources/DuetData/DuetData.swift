// DuetData: manifests, datasets, clip sampling, the prefetching loader and the synthetic
// audio-visual corpus. It turns DuetMedia's Float buffers into DuetTensor tensors.
