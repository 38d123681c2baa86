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

        for signal in (post_save, post_delete):
            signal.connect(forget, sender=Project, dispatch_uid=f"projects_forget_{signal is post_save}")
        m2m_changed.connect(forget, sender=Project.regions.through, dispatch_uid="projects_forget_regions")
