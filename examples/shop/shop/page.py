"""What the shop's front page says. Edit HEADLINE and save: `devenv up` serves it at once."""

HEADLINE = "Welcome to the shop"
