"""Files and images in the desktop app (issue 12): intake, tray, timeline drawing, viewer."""
