"""The release gate (issue #17): a model reaches customers only as a numbered release
that passed the checks of release.yml; `make rollback` returns to the one before."""
