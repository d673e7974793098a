"""Running the template through copier's public API: which template may run its tasks
(`trust`), copier's copy and update (`copier_run`), one clone of the template per run
(`template_clone`)."""
