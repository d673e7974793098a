"""`flux-cookbook adopt`: a hand-made cookbook repository mapped to the answers and files
release 1.0.0 would have written (`adoption`), objects moved or split out as written
(`yaml_split`), the housekeeping files of that release (`template_files`)."""
