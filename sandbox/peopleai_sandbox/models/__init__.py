"""The models: the backend's state without HTTP (moto's ``models``): the clock, tokens, counters,
export jobs and their queue, fragment files, erasures, fault draws, download plans and the ground
truth, behind ``ExportBackend``. Models raise ``ApiError``; they never build an answer."""
