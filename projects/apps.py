from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import Project
        from .selectors import projects_forget

        def forget(**kwargs):
            projects_forget()

        # weak=False: the receiver is local to this method and would be collected after it.
        for signal in (post_save, post_delete):
            signal.connect(forget, sender=Project, weak=False, dispatch_uid="projects_forget")
        m2m_changed.connect(
            forget, sender=Project.regions.through, weak=False, dispatch_uid="projects_forget_regions"
        )
